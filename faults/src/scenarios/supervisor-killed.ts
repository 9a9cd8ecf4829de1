import { analyse, resumedAfter } from "@tq/harness";
import { childPids, isAlive, signal, waitFor } from "@tq/testing";
import { check, type FaultScenario } from "../result.js";
import { runScenario, workJob } from "../run-scenario.js";

const meta = {
  id: "supervisor-sigkill",
  title: "Pool supervisor (tq-worker) SIGKILLed",
  fault: "kill -9 of the tq-worker supervisor process under load; a new pool is started at once",
};

const SHUTDOWN_TIMEOUT_MS = 3_000;

/**
 * The supervisor dies with SIGKILL: its children must drain and exit on their own (no orphans), and a new pool
 * picks up every job.
 */
export const supervisorKilled: FaultScenario = {
  id: meta.id,
  title: meta.title,
  run: () =>
    runScenario(meta, async (lab) => {
      const { bin, pids } = await lab.startBin([
        "--processes",
        "2",
        "--concurrency",
        "8",
        "--lease-ms",
        "30000",
        "--shutdown-timeout-ms",
        String(SHUTDOWN_TIMEOUT_MS),
      ]);
      const supervisor = bin.pid;
      const listed = childPids(supervisor).sort();
      const stream = lab.producer.stream({ total: 3_000, perSecond: 1_000, make: (i) => workJob(i) });
      await lab.waitForStarts(1_000);
      const killedAt = Date.now();
      signal(supervisor, "SIGKILL");
      const exit = await bin.exited;
      // A process manager would start a new pool at once; the orphans drain meanwhile.
      const replacement = await lab.startPool({ leaseMs: 30_000 });
      let orphansGoneMs: number | undefined;
      try {
        await waitFor(() => pids.every((pid) => !isAlive(pid)), {
          what: "the orphaned children to exit",
          timeoutMs: SHUTDOWN_TIMEOUT_MS + 5_000 + 20_000,
        });
        orphansGoneMs = Date.now() - killedAt;
      } catch {
        orphansGoneMs = undefined;
      }
      await stream.done;
      const analysis = await analyse(lab);
      const handedBack = analysis.ledger.filter(
        (e) => e.kind === "A" && e.code === "CLOSED" && pids.includes(e.pid),
      ).length;
      // Draining orphans finish or hand back what they run: none of their runs may be left to its lease.
      const leftToLease: string[] = [];
      for (const [id, runs] of analysis.runs) {
        const errors = analysis.infos.get(id)?.errors ?? [];
        for (const run of runs) {
          if (
            pids.includes(run.pid) &&
            errors.some((e) => e.code === "LEASE_LOST" && e.attempt === run.attempt)
          ) {
            leftToLease.push(id);
          }
        }
      }
      const newPids = replacement.pool.pids;
      const recoveryMs = resumedAfter(analysis.ledger, killedAt, newPids);
      return {
        analysis,
        recoveryMs,
        recovery: "from the kill until every process of the new pool had started a job",
        checks: [
          check("the supervisor died of SIGKILL", exit.signal === "SIGKILL", JSON.stringify(exit)),
          check(
            "pgrep -P <supervisor> listed the children the bin reported",
            listed.join(",") === [...pids].sort().join(","),
            `bin ${pids.join(",")}, /proc ${listed.join(",")}`,
          ),
          check(
            "no orphan child remained (each drained and exited on its own)",
            orphansGoneMs !== undefined,
            orphansGoneMs === undefined
              ? `alive: ${pids.filter(isAlive).join(",")}`
              : `all exited ${orphansGoneMs} ms after the kill`,
          ),
          check(
            "every run the orphans started finished or was handed back (none was left to its lease)",
            leftToLease.length === 0,
            leftToLease.length === 0
              ? undefined
              : `left to their lease: ${leftToLease.slice(0, 5).join(", ")}`,
          ),
          check(
            "no orphan crashed (nothing uncaught on the output they share with the supervisor)",
            !/Unhandled|uncaught|throw er/i.test(bin.stderr()),
            bin.stderr().slice(0, 300) || undefined,
          ),
          check("the new pool consumed jobs", recoveryMs !== undefined),
        ],
        notes: [
          `orphaned children exited ${orphansGoneMs ?? "—"} ms after the supervisor died (shutdown timeout ${SHUTDOWN_TIMEOUT_MS} ms)`,
          `${handedBack} run(s) aborted and handed back by the draining orphans`,
        ],
      };
    }),
};
