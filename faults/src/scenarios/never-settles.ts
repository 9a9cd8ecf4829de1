import { analyse } from "@tq/harness";
import { waitFor } from "@tq/testing";
import { check, type FaultScenario } from "../result.js";
import { runScenario, workJob } from "../run-scenario.js";

const meta = {
  id: "never-settles",
  title: "Handler never settles (timeoutMs; pool hard timeout)",
  fault:
    "4 jobs whose handler never settles (timeoutMs 400) and 2 whose handler spins forever (timeoutMs 300, hard-timeout grace 500 ms)",
};

const RETRY = { maxRetries: 1, backoff: { type: "fixed", delayMs: 50 } } as const;

/**
 * A handler that never settles fails with TIMEOUT (the worker's own timer) and is retried; one that never yields
 * cannot be stopped from inside, so the pool kills its process (hard timeout) and the run fails with TIMEOUT.
 */
export const neverSettles: FaultScenario = {
  id: meta.id,
  title: meta.title,
  run: () =>
    runScenario(meta, async (lab) => {
      const { pool, exits, online } = await lab.startPool({ concurrency: 4, hardTimeoutGraceMs: 500 });
      const stream = lab.producer.stream({ total: 2_000, perSecond: 500, make: (i) => workJob(i) });
      await lab.waitForStarts(200);
      const hung: string[] = [];
      const spinning: string[] = [];
      for (let i = 0; i < 4; i++) {
        const id = lab.producer.nextId();
        hung.push(id);
        await lab.producer.one(id, { task: "hang", args: {}, opts: { ...RETRY, timeoutMs: 400 } }, true);
      }
      for (let i = 0; i < 2; i++) {
        const id = lab.producer.nextId();
        spinning.push(id);
        await lab.producer.one(
          id,
          { task: "spin", args: { ms: -1 }, opts: { ...RETRY, timeoutMs: 300 } },
          true,
        );
      }
      await stream.done;
      await waitFor(() => pool.pids.length === 2, {
        what: "the pool to be back to two children",
        timeoutMs: 30_000,
      }).catch(() => {});
      const analysis = await analyse(lab);

      const timeouts = exits.filter((e) => e.reason === "timeout");
      const endedBy = (ids: string[], code: string) =>
        ids.every((id) => {
          const info = analysis.infos.get(id);
          return (
            info?.status === "failed" &&
            info.attempts === 2 &&
            (info.errors ?? []).length === 2 &&
            (info.errors ?? []).every((e) => e.code === code)
          );
        });
      let recoveryMs: number | undefined = 0;
      for (const exit of timeouts) {
        const next = online.find((c) => c.index === exit.index && c.at >= exit.at);
        recoveryMs = next && recoveryMs !== undefined ? Math.max(recoveryMs, next.at - exit.at) : undefined;
      }
      return {
        analysis,
        recoveryMs,
        recovery: "from a hard-timeout kill until the replacement child was consuming (longest)",
        checks: [
          check("each never-settling job failed after 2 runs, both TIMEOUT", endedBy(hung, "TIMEOUT")),
          check("each forever-spinning job failed after 2 runs, both TIMEOUT", endedBy(spinning, "TIMEOUT")),
          check(
            "the pool killed a child for each spinning run (hard timeout)",
            timeouts.length === 4,
            `${timeouts.length} timeout kill(s)`,
          ),
          check("the pool kept its two children", pool.pids.length === 2),
        ],
        notes: [
          `hard-timeout kills: ${timeouts.length}; runs handed back from killed children: ${timeouts.reduce((n, e) => n + e.runs.filter((r) => r.outcome === "released").length, 0)}`,
        ],
      };
    }),
};
