import { analyse, resumedAfter } from "@tq/harness";
import { sleep } from "@tq/testing";
import { check, type FaultScenario } from "../result.js";
import { runScenario, workJob } from "../run-scenario.js";

function redisCrash(id: string, appendfsync: "always" | "everysec"): FaultScenario {
  const meta = {
    id,
    title: `redis-server SIGKILLed, restarted from its AOF (appendfsync ${appendfsync})`,
    fault: `kill -9 of redis-server under load, restarted 500 ms later from its append-only file (appendfsync ${appendfsync})`,
    redis: { appendonly: true, appendfsync },
    // With everysec a crash of the host may lose the last second; a killed process loses what it had not written.
    redisKeepsData: appendfsync === "always",
  };
  return {
    id,
    title: meta.title,
    run: () =>
      runScenario(meta, async (lab) => {
        const { pool, exits } = await lab.startPool({ leaseMs: 10_000 });
        const stream = lab.producer.stream({ total: 3_000, perSecond: 800, make: (i) => workJob(i) });
        await lab.waitForStarts(1_000);
        const ackedBefore = lab.producer.acked.size;
        lab.redis.kill("SIGKILL");
        await lab.redis.exited();
        await sleep(500);
        await lab.redis.restart();
        const restartedAt = Date.now();
        await stream.done;
        const analysis = await analyse(lab);
        const recoveryMs = resumedAfter(analysis.ledger, restartedAt, pool.pids);
        const cut = [...lab.producer.errorCodes.values()].reduce((a, b) => a + b, 0);
        return {
          analysis,
          recoveryMs,
          recovery: "from redis-server answering again until every worker process had started a job again",
          faultEnd: restartedAt,
          checks: [
            check("every worker process consumed after the restart", recoveryMs !== undefined),
            check("no worker process died", exits.length === 0),
          ],
          notes: [
            `${ackedBefore} enqueues acknowledged before the crash; ${cut} enqueue attempt(s) failed during it and were retried with the same jobId`,
          ],
        };
      }),
  };
}

/** With appendfsync always, an acknowledged enqueue is on disk: nothing acknowledged is lost. */
export const redisCrashAlways = redisCrash("redis-kill-aof-always", "always");

/** With appendfsync everysec: measured, not asserted (see docs/reliability.md). */
export const redisCrashEverysec = redisCrash("redis-kill-aof-everysec", "everysec");
