import { analyse } from "@tq/harness";
import { sleep } from "@tq/testing";
import { check, type FaultScenario } from "../result.js";
import { runScenario } from "../run-scenario.js";

const TOTAL = 10_000;
const SPREAD_MS = 4_000;
const FIRST_MS = 1_000;

const meta = {
  id: "delayed-10k-restart",
  title: "10,000 delayed jobs, Redis restarted in the middle",
  fault: `10,000 jobs delayed 1–5 s; kill -9 of redis-server 3 s in, restarted from its AOF (appendfsync always) 300 ms later`,
  redis: { appendonly: true, appendfsync: "always" as const },
};

function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] as number;
}

/** Each delayed job fires exactly once, never before its run time, through a Redis crash. */
export const delayedRestart: FaultScenario = {
  id: meta.id,
  title: meta.title,
  run: () =>
    runScenario(meta, async (lab) => {
      await lab.startPool({ concurrency: 16, leaseMs: 10_000 });
      const enqueuedAt = Date.now();
      for (let i = 0; i < TOTAL; i += 500) {
        const specs = Array.from({ length: 500 }, (_, j) => ({
          task: "work",
          args: { ms: 1 },
          opts: { delayMs: FIRST_MS + Math.floor(((i + j) * SPREAD_MS) / TOTAL) },
        }));
        const { error } = await lab.producer.many(specs);
        if (error) throw error;
      }
      await sleep(Math.max(0, enqueuedAt + FIRST_MS + SPREAD_MS / 2 - Date.now()));
      lab.redis.kill("SIGKILL");
      await lab.redis.exited();
      await sleep(300);
      await lab.redis.restart();
      const restartedAt = Date.now();
      const analysis = await analyse(lab);

      let once = 0;
      const lateness: number[] = [];
      for (const [id] of lab.producer.acked) {
        const runs = analysis.runs.get(id) ?? [];
        if (runs.length === 1) once++;
        const at = analysis.runAt.get(id);
        const first = runs[0];
        if (at !== undefined && first) lateness.push(first.at - at);
      }
      lateness.sort((a, b) => a - b);
      const afterRestart = analysis.ledger.find((e) => e.kind === "S" && e.at >= restartedAt);
      return {
        analysis,
        recoveryMs: afterRestart ? afterRestart.at - restartedAt : undefined,
        recovery: "from redis-server answering again until the next delayed job started",
        faultEnd: restartedAt,
        checks: [
          check("every job fired exactly once", once === TOTAL, `${once} of ${TOTAL}`),
          check(
            "every job has its run time recorded",
            analysis.runAt.size === TOTAL,
            `${analysis.runAt.size}`,
          ),
        ],
        notes: [
          `start minus run time (host clock): min ${Math.round(lateness[0] ?? 0)} ms, p50 ${Math.round(percentile(lateness, 50))} ms, p99 ${Math.round(percentile(lateness, 99))} ms, max ${Math.round(lateness.at(-1) ?? 0)} ms (jobs due while Redis was down start after the restart)`,
        ],
      };
    }),
};
