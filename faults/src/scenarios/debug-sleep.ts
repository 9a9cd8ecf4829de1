import { analyse, resumedAfter } from "@tq/harness";
import { check, type FaultScenario } from "../result.js";
import { runScenario, workJob } from "../run-scenario.js";

const LEASE_MS = 1_500;

function debugSleep(id: string, seconds: number): FaultScenario {
  const longer = seconds * 1000 > LEASE_MS;
  const meta = {
    id,
    title: `DEBUG SLEEP ${seconds} s (${longer ? "longer" : "shorter"} than the 1.5 s lease)`,
    fault: `DEBUG SLEEP ${seconds} under load: Redis answers nothing for ${seconds} s`,
    redis: { args: ["--enable-debug-command", "yes"] },
  };
  return {
    id,
    title: meta.title,
    run: () =>
      runScenario(meta, async (lab) => {
        const { pool, exits } = await lab.startPool({ leaseMs: LEASE_MS });
        const stream = lab.producer.stream({ total: 3_000, perSecond: 1_000, make: (i) => workJob(i) });
        await lab.waitForStarts(1_000);
        await lab.admin.sendCommand(["DEBUG", "SLEEP", String(seconds)]);
        const end = Date.now();
        await stream.done;
        const analysis = await analyse(lab);
        const recoveryMs = resumedAfter(analysis.ledger, end, pool.pids);
        let expired = 0;
        for (const info of analysis.infos.values()) {
          expired += (info?.errors ?? []).filter((e) => e.code === "LEASE_LOST").length;
        }
        const checks = [
          check("every worker process consumed after the sleep", recoveryMs !== undefined),
          check("no worker process died", exits.length === 0),
        ];
        if (longer) {
          checks.push(
            check(
              "leases that ran out during the sleep were reclaimed (LEASE_LOST) and their jobs completed",
              expired > 0,
              `${expired} expired`,
            ),
          );
        }
        return {
          analysis,
          recoveryMs,
          recovery: "from the end of the sleep until every worker process had started a job again",
          faultEnd: end,
          checks,
          notes: [`${expired} lease(s) expired`],
        };
      }),
  };
}

/** Redis stalls for less than a lease: everything waits and goes on; nothing needs to run twice. */
export const debugSleepShort = debugSleep("debug-sleep-short", 0.5);

/** Redis stalls for longer than a lease: leases run out on the Redis clock and are reclaimed; nothing is lost. */
export const debugSleepLong = debugSleep("debug-sleep-long", 3);
