import { analyse, busiest } from "@tq/harness";
import { signal, waitFor } from "@tq/testing";
import { check, type FaultScenario } from "../result.js";
import { runScenario, workJob } from "../run-scenario.js";

const meta = {
  id: "worker-sigkill",
  title: "Worker child SIGKILLed mid-job",
  fault: "kill -9 of the busiest WorkerPool child while it runs jobs, twice",
};

/** A pool child killed with SIGKILL while it runs jobs: the pool fails its runs at once and replaces it. */
export const workerKilled: FaultScenario = {
  id: meta.id,
  title: meta.title,
  run: () =>
    runScenario(meta, async (lab) => {
      // Long leases: only the pool's crash records can bring the dead child's jobs back quickly.
      const { pool, exits, online } = await lab.startPool({ leaseMs: 10_000 });
      const stream = lab.producer.stream({ total: 3_000, perSecond: 1_000, make: (i) => workJob(i) });
      const kills: Array<{ pid: number; at: number; index: number; held: string[] }> = [];
      for (const threshold of [800, 1_800]) {
        await lab.waitForStarts(threshold);
        const victim = busiest(lab.ledger(), pool.pids);
        const at = Date.now();
        signal(victim.pid, "SIGKILL");
        kills.push({
          pid: victim.pid,
          at,
          index: online.find((c) => c.pid === victim.pid)?.index ?? -1,
          held: victim.ids,
        });
        await waitFor(() => exits.some((e) => e.pid === victim.pid), {
          what: "the pool to record the death",
          timeoutMs: 60_000,
        });
      }
      await stream.done;
      await waitFor(() => pool.pids.length === 2, {
        what: "the pool to be back to two children",
        timeoutMs: 30_000,
      }).catch(() => {});
      const analysis = await analyse(lab);

      const checks = [];
      let recoveryMs: number | undefined = 0;
      for (const kill of kills) {
        const exit = exits.find((e) => e.pid === kill.pid);
        const retried = exit?.runs.filter((r) => r.outcome === "retrying").map((r) => r.id) ?? [];
        checks.push(
          check(
            `the pool saw child ${kill.pid} die of SIGKILL while holding runs`,
            exit?.reason === "crashed" && exit.signal === "SIGKILL" && exit.runs.length > 0,
            `reason ${exit?.reason}, signal ${exit?.signal}, runs ${exit?.runs.length}`,
          ),
          check(
            "every run it held was failed at once and retried (none dead-lettered)",
            exit?.runs.every((r) => r.outcome === "retrying" || r.outcome === "unchanged") === true,
            exit?.runs.map((r) => r.outcome).join(","),
          ),
          check(
            "a replacement came online in its slot",
            online.some((c) => c.index === kill.index && c.at >= kill.at && c.pid !== kill.pid),
          ),
        );
        // Recovery: until every job the dead child held was running again on another process.
        for (const id of retried) {
          const again = analysis.runs.get(id)?.find((r) => r.at >= kill.at && r.pid !== kill.pid);
          if (!again || recoveryMs === undefined) recoveryMs = undefined;
          else recoveryMs = Math.max(recoveryMs, again.at - kill.at);
        }
      }
      checks.push(
        check("the pool kept its two children", pool.pids.length === 2, `pids ${pool.pids.join(",")}`),
      );
      return {
        analysis,
        recoveryMs,
        recovery: "from the kill until every job the dead child held had started again in another process",
        faultEnd: kills.map((k) => k.at),
        checks,
        notes: kills.map(
          (k) => `killed pid ${k.pid} with ${k.held.length} handler(s) in flight by the ledger`,
        ),
      };
    }),
};
