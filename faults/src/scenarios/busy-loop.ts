import { analyse } from "@tq/harness";
import { waitFor } from "@tq/testing";
import { check, type FaultScenario } from "../result.js";
import { runScenario, workJob } from "../run-scenario.js";

const meta = {
  id: "busy-loop",
  title: "Handler busy-loops past its lease",
  fault: "a handler blocks its child's event loop for 2 s, another for 8 s (leases 1 s, no timeoutMs)",
};

const LEASE_MS = 1_000;

/**
 * A handler that never yields for longer than the lease: the lease expires and the job runs again; a child blocked
 * for longer than the pool's unresponsive limit (max(leaseMs, 3 s)) is killed and replaced.
 */
export const busyLoop: FaultScenario = {
  id: meta.id,
  title: meta.title,
  run: () =>
    runScenario(meta, async (lab) => {
      const { pool, exits } = await lab.startPool({ concurrency: 2, leaseMs: LEASE_MS });
      const stream = lab.producer.stream({ total: 2_000, perSecond: 400, make: (i) => workJob(i) });
      await lab.waitForStarts(200);
      const short = lab.producer.nextId();
      await lab.producer.one(short, { task: "work", args: { ms: 5, spinFirstMs: 2_000 } }, true);
      await waitFor(() => lab.ledger().filter((e) => e.kind === "S" && e.id === short).length >= 2, {
        what: "the short spinner to run again",
        timeoutMs: 60_000,
      });
      const long = lab.producer.nextId();
      await lab.producer.one(long, { task: "work", args: { ms: 5, spinFirstMs: 8_000 } }, true);
      await waitFor(() => exits.some((e) => e.reason === "unresponsive"), {
        what: "the long spinner's process to be killed",
        timeoutMs: 30_000,
      });
      await stream.done;
      await waitFor(() => pool.pids.length === 2, {
        what: "the pool to be back to two children",
        timeoutMs: 30_000,
      }).catch(() => {});
      const analysis = await analyse(lab);

      const shortRuns = analysis.runs.get(short) ?? [];
      const longRuns = analysis.runs.get(long) ?? [];
      const shortInfo = analysis.infos.get(short);
      const longInfo = analysis.infos.get(long);
      const firstShort = shortRuns[0];
      const secondShort = shortRuns[1];
      const killed = exits.find((e) => e.reason === "unresponsive");
      const recoveryMs = firstShort && secondShort ? secondShort.at - (firstShort.at + LEASE_MS) : undefined;
      return {
        analysis,
        recoveryMs,
        recovery: "from the 2 s spinner's lease expiry until the job started again",
        checks: [
          check(
            "the 2 s spinner's lease expired and the job ran again, then completed",
            shortInfo?.status === "completed" &&
              shortRuns.length >= 2 &&
              (shortInfo.errors ?? []).some((e) => e.code === "LEASE_LOST"),
            `runs ${shortRuns.length}, errors ${(shortInfo?.errors ?? []).map((e) => e.code).join(",")}`,
          ),
          check(
            "its process survived the 2 s block",
            // (the 8 s spinner may later land in the same process and get it killed)
            firstShort !== undefined &&
              !exits.some(
                (e) => e.pid === firstShort.pid && e.at < (longRuns[0]?.at ?? Number.POSITIVE_INFINITY),
              ),
          ),
          check(
            "the 8 s spinner's process was killed as unresponsive and the job completed",
            killed !== undefined && killed.pid === longRuns[0]?.pid && longInfo?.status === "completed",
            `exit ${killed?.pid} ${killed?.reason}, first run pid ${longRuns[0]?.pid}, status ${longInfo?.status}`,
          ),
          check("the pool kept its two children", pool.pids.length === 2),
        ],
        notes: [
          `2 s spinner: runs at +0 and +${secondShort && firstShort ? Math.round(secondShort.at - firstShort.at) : "—"} ms; 8 s spinner's process killed as unresponsive after ${killed && longRuns[0] ? Math.round(killed.at - longRuns[0].at) : "—"} ms`,
        ],
      };
    }),
};
