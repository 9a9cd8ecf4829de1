import { analyse, resumedAfter } from "@tq/harness";
import { check, type FaultScenario } from "../result.js";
import { runScenario, workJob } from "../run-scenario.js";

const LEASE_MS = 1_500;
const PAUSE_MS = 2_000;

function clientPause(id: string, mode: "ALL" | "WRITE"): FaultScenario {
  const meta = {
    id,
    title: `CLIENT PAUSE ${PAUSE_MS / 1000} s ${mode}`,
    fault: `CLIENT PAUSE ${PAUSE_MS} ${mode} under load (leases 1.5 s)`,
  };
  return {
    id,
    title: meta.title,
    run: () =>
      runScenario(meta, async (lab) => {
        const { pool, exits } = await lab.startPool({ leaseMs: LEASE_MS });
        const stream = lab.producer.stream({ total: 3_000, perSecond: 1_000, make: (i) => workJob(i) });
        await lab.waitForStarts(1_000);
        const at = Date.now();
        await lab.admin.sendCommand(["CLIENT", "PAUSE", String(PAUSE_MS), mode]);
        const end = at + PAUSE_MS;
        await stream.done;
        const analysis = await analyse(lab);
        const recoveryMs = resumedAfter(analysis.ledger, end, pool.pids);
        let expired = 0;
        for (const info of analysis.infos.values()) {
          expired += (info?.errors ?? []).filter((e) => e.code === "LEASE_LOST").length;
        }
        return {
          analysis,
          recoveryMs,
          recovery: "from the end of the pause until every worker process had started a job again",
          faultEnd: end,
          checks: [
            check("every worker process consumed after the pause", recoveryMs !== undefined),
            check("no worker process died", exits.length === 0),
          ],
          notes: [`${expired} lease(s) expired`],
        };
      }),
  };
}

/** Every client is paused: nothing moves, then everything resumes. */
export const clientPauseAll = clientPause("client-pause-all", "ALL");

/** Writes are paused (reads go on): claims and acks wait, then resume. */
export const clientPauseWrite = clientPause("client-pause-write", "WRITE");
