import { analyse } from "@tq/harness";
import { waitFor } from "@tq/testing";
import { check, type FaultScenario } from "../result.js";
import { runScenario } from "../run-scenario.js";

const meta = {
  id: "poison",
  title: "Poison job kills its process every time",
  fault: "3 jobs (maxRetries 2) whose handler SIGKILLs its own process, among 1,500 others (concurrency 1)",
};

/** A job that kills every process that runs it ends failed after maxRetries + 1 crashes; the rest complete. */
export const poison: FaultScenario = {
  id: meta.id,
  title: meta.title,
  run: () =>
    runScenario(meta, async (lab) => {
      const { pool, exits, online } = await lab.startPool({ concurrency: 1 });
      const stream = lab.producer.stream({
        total: 1_500,
        perSecond: 400,
        make: () => ({ task: "work", args: { ms: 1 } }),
      });
      await lab.waitForStarts(100);
      const poisoned: string[] = [];
      for (let i = 0; i < 3; i++) {
        const id = lab.producer.nextId();
        poisoned.push(id);
        await lab.producer.one(
          id,
          { task: "poison", args: {}, opts: { maxRetries: 2, backoff: { type: "fixed", delayMs: 10 } } },
          true,
        );
      }
      await stream.done;
      await waitFor(() => pool.pids.length === 2, {
        what: "the pool to be back to two children",
        timeoutMs: 30_000,
      }).catch(() => {});
      const analysis = await analyse(lab);

      const crashes = exits.filter((e) => e.reason === "crashed");
      let recoveryMs: number | undefined = 0;
      for (const exit of crashes) {
        const next = online.find((c) => c.index === exit.index && c.at >= exit.at);
        recoveryMs = next && recoveryMs !== undefined ? Math.max(recoveryMs, next.at - exit.at) : undefined;
      }
      const poisonOk = poisoned.every((id) => {
        const info = analysis.infos.get(id);
        const errors = info?.errors ?? [];
        return (
          info?.status === "failed" &&
          info.attempts === 3 &&
          errors.length === 3 &&
          errors.every((e) => e.code === "LEASE_LOST" && /died \(signal SIGKILL\)/.test(e.message))
        );
      });
      const others = analysis.enqueued - poisoned.length;
      return {
        analysis,
        recoveryMs,
        recovery:
          "from a crash until the replacement child was consuming (longest, restart backoff included)",
        checks: [
          check(
            "each poison job failed after 3 crashes, each recorded as LEASE_LOST 'died (signal SIGKILL)'",
            poisonOk,
            poisoned
              .map((id) => {
                const info = analysis.infos.get(id);
                return `${info?.status}/${info?.attempts}/${(info?.errors ?? []).map((e) => e.code).join(",")}`;
              })
              .join(" "),
          ),
          check(
            "9 crashes, each holding only its poison run",
            crashes.length === 9 &&
              crashes.every((e) => e.runs.length === 1 && poisoned.includes(e.runs[0]?.id ?? "")),
            `${crashes.length} crash(es)`,
          ),
          check(
            "every other job completed",
            analysis.completed === others,
            `${analysis.completed} of ${others}`,
          ),
          check("the pool kept its two children", pool.pids.length === 2),
        ],
        notes: [
          `${crashes.length} child crashes; replacement delays ${crashes.map((e) => e.restartInMs).join(", ")} ms`,
        ],
      };
    }),
};
