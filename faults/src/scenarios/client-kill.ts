import { analyse, resumedAfter } from "@tq/harness";
import { sleep, waitFor } from "@tq/testing";
import { check, type FaultScenario } from "../result.js";
import { runScenario, workJob } from "../run-scenario.js";

const allMeta = {
  id: "client-kill-all",
  title: "CLIENT KILL of every connection under load",
  fault:
    "CLIENT KILL TYPE normal (every client but the test's own) three times, 2.5 s apart, under load (leases 2 s)",
};

/** Every connection is cut under load: workers, the pool and the producer reconnect and consumption resumes. */
export const clientKillAll: FaultScenario = {
  id: allMeta.id,
  title: allMeta.title,
  run: () =>
    runScenario(allMeta, async (lab) => {
      // Leases of 2 s and kills 2.5 s apart: a job whose claim reply a kill cut off runs again before the next kill.
      const { pool, exits } = await lab.startPool({ leaseMs: 2_000 });
      const stream = lab.producer.stream({ total: 3_200, perSecond: 400, make: (i) => workJob(i) });
      const started = Date.now();
      const kills: Array<{ at: number; killed: number }> = [];
      for (const offset of [1_000, 3_500, 6_000]) {
        await sleep(Math.max(0, started + offset - Date.now()));
        const at = Date.now();
        const killed = Number(
          await lab.admin.sendCommand(["CLIENT", "KILL", "TYPE", "normal", "SKIPME", "yes"]),
        );
        kills.push({ at, killed });
      }
      await stream.done;
      const analysis = await analyse(lab);
      const pids = pool.pids;
      const resumed = kills.map((k) => resumedAfter(analysis.ledger, k.at, pids));
      const recoveryMs = resumed.some((r) => r === undefined)
        ? undefined
        : Math.max(...resumed.map((r) => r as number));
      return {
        analysis,
        recoveryMs,
        recovery: "from a kill until every worker process had started a job again (longest of 3)",
        faultEnd: kills.map((k) => k.at),
        checks: [
          check(
            "each kill cut the workers', the pool's and the producer's connections",
            kills.every((k) => k.killed >= 2 * 2 + 2),
            kills.map((k) => k.killed).join(", "),
          ),
          check(
            "every worker process consumed again after each kill",
            resumed.every((r) => r !== undefined),
          ),
          check("no worker process died", exits.length === 0),
        ],
        notes: [
          `connections cut per kill: ${kills.map((k) => k.killed).join(", ")}; producer errors (retried with the same jobId): ${JSON.stringify(Object.fromEntries(lab.producer.errorCodes))}`,
        ],
      };
    }),
};

const blockingMeta = {
  id: "client-kill-blocking",
  title: "CLIENT KILL of the blocking connections only",
  fault: "CLIENT KILL ID of every connection blocked in BZPOPMIN, every 200 ms for 6 s, under a light load",
};

/** Only the idle workers' blocking connections are cut, again and again: each worker must notice and keep consuming. */
export const clientKillBlocking: FaultScenario = {
  id: blockingMeta.id,
  title: blockingMeta.title,
  run: () =>
    runScenario(blockingMeta, async (lab) => {
      const { pool, exits } = await lab.startPool();
      // A light load: the workers are idle (blocked on Redis) most of the time.
      const stream = lab.producer.stream({ total: 1_800, perSecond: 300, make: (i) => workJob(i) });
      const start = Date.now();
      let killed = 0;
      const blocked = async () => (await lab.admin.clientList()).filter((c) => c.cmd === "bzpopmin");
      while (Date.now() - start < 6_000) {
        for (const client of await blocked()) {
          killed += Number(await lab.admin.sendCommand(["CLIENT", "KILL", "ID", String(client.id)]));
        }
        await sleep(200);
      }
      const killPhaseEnd = Date.now();
      await stream.done;
      // Last round: both workers idle and blocked, their connections cut, then a burst that both must take part in.
      await waitFor(async () => (await blocked()).length === 2, {
        what: "both workers to block on Redis",
        timeoutMs: 30_000,
      });
      for (const client of await blocked()) {
        killed += Number(await lab.admin.sendCommand(["CLIENT", "KILL", "ID", String(client.id)]));
      }
      const burstAt = Date.now();
      await lab.producer.many(Array.from({ length: 200 }, (_, i) => workJob(i, 20)));
      const analysis = await analyse(lab);

      // Recovery: the longest wait from enqueue to start for jobs enqueued while connections were being cut.
      let worst = 0;
      for (const [id, ackedAt] of lab.producer.acked) {
        if (ackedAt < start || ackedAt > killPhaseEnd) continue;
        const first = analysis.runs.get(id)?.[0];
        if (first) worst = Math.max(worst, first.at - ackedAt);
      }
      const lastRound = resumedAfter(analysis.ledger, burstAt, pool.pids);
      return {
        analysis,
        recoveryMs: worst,
        recovery:
          "the longest wait from enqueue to start of a job enqueued while blocking connections were being cut",
        checks: [
          check("blocking connections were cut while workers were idle", killed >= 10, `${killed} cut`),
          check("both workers consumed after their blocking connections were cut", lastRound !== undefined),
          check("no worker process died", exits.length === 0),
        ],
        notes: [
          `${killed} blocking connection(s) cut; last round resumed in ${lastRound === undefined ? "—" : Math.round(lastRound)} ms`,
        ],
      };
    }),
};
