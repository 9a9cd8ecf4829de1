import { analyse, busiest, inFlight } from "@tq/harness";
import { signal, sleep } from "@tq/testing";
import { check, type FaultScenario } from "../result.js";
import { runScenario, workJob } from "../run-scenario.js";

const meta = {
  id: "worker-sigstop",
  title: "Worker child SIGSTOPped past its lease, then SIGCONTed",
  fault: "SIGSTOP of the busiest child for 1.6 s (leases 1 s), then SIGCONT",
};

const LEASE_MS = 1_000;
/** Longer than the lease, shorter than the pool's unresponsive limit (max(leaseMs, 3 s)), so the child survives. */
const STOP_MS = 1_600;

/**
 * A child frozen past its leases: its jobs are reclaimed and finished elsewhere; when it wakes, its late
 * acknowledgements are refused (fencing tokens) and it goes on consuming.
 */
export const workerStopped: FaultScenario = {
  id: meta.id,
  title: meta.title,
  run: () =>
    runScenario(meta, async (lab) => {
      const { pool, exits } = await lab.startPool({ concurrency: 4, leaseMs: LEASE_MS });
      const stream = lab.producer.stream({ total: 2_500, perSecond: 700, make: (i) => workJob(i) });
      await lab.waitForStarts(700);
      const victim = busiest(lab.ledger(), pool.pids);
      signal(victim.pid, "SIGSTOP");
      const stoppedAt = Date.now();
      // Read once it is stopped: what it is running now can no longer finish before it wakes.
      await sleep(50);
      const frozen = [...new Set(inFlight(lab.ledger(), victim.pid))];
      await sleep(STOP_MS);
      signal(victim.pid, "SIGCONT");
      const resumedAt = Date.now();
      await stream.done;
      const analysis = await analyse(lab);

      // The stored result must not be the frozen run's: that run's late acknowledgement has to be refused.
      const takenOver = frozen.filter((id) => {
        const result = analysis.infos.get(id)?.result as { pid?: number; attempt?: number } | undefined;
        const frozenRun = analysis.runs
          .get(id)
          ?.filter((r) => r.pid === victim.pid && r.at <= stoppedAt)
          .at(-1);
        return result !== undefined && !(result.pid === victim.pid && result.attempt === frozenRun?.attempt);
      });
      const refusedLogs = lab
        .childLog()
        .filter((line) => line.includes(` ${victim.pid} `) && /LEASE_LOST|lease .* (was )?lost/i.test(line));
      const leaseAborts = analysis.ledger.filter(
        (e) => e.kind === "A" && e.pid === victim.pid && e.code === "LEASE_LOST" && e.at >= stoppedAt,
      );
      const first = analysis.ledger.find((e) => e.kind === "S" && e.pid === victim.pid && e.at >= resumedAt);
      return {
        analysis,
        recoveryMs: first ? first.at - resumedAt : undefined,
        recovery: "from SIGCONT until the stopped process started a job again",
        checks: [
          check(
            "the stopped child survived (not killed as unresponsive)",
            !exits.some((e) => e.pid === victim.pid),
          ),
          check("it was running jobs when stopped", frozen.length > 0, `${frozen.length} in flight`),
          check(
            "no job it was running kept the frozen run's result (its late acks were refused)",
            takenOver.length === frozen.length,
            `${takenOver.length} of ${frozen.length}`,
          ),
          check(
            "on waking it reported its lost leases (refused acks or aborted runs)",
            refusedLogs.length + leaseAborts.length > 0,
            `${refusedLogs.length} LEASE_LOST report(s), ${leaseAborts.length} aborted run(s)`,
          ),
          check("it consumed again after SIGCONT", first !== undefined),
        ],
        notes: [
          `stopped pid ${victim.pid} for ${resumedAt - stoppedAt} ms with ${frozen.length} run(s) in flight; ${refusedLogs.length} LEASE_LOST report(s) and ${leaseAborts.length} aborted run(s) after waking`,
        ],
      };
    }),
};
