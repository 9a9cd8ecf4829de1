import { analyse, byJob } from "@tq/harness";
import { check, type FaultScenario } from "../result.js";
import { runScenario, workJob } from "../run-scenario.js";

const HOURS_3 = 3 * 3_600_000;

const meta = {
  id: "clock-skew",
  title: "Worker clocks 3 h ahead and 3 h behind",
  fault:
    "two pools on one queue, one whose children's Date runs 3 h ahead, one 3 h behind (--import module); 1,000 immediate and 1,000 delayed jobs",
};

/** Workers whose clocks are hours off: nothing fires early and no lease is reclaimed early (all times are Redis's). */
export const clockSkew: FaultScenario = {
  id: meta.id,
  title: meta.title,
  run: () =>
    runScenario(meta, async (lab) => {
      const ahead = await lab.startPool({ processes: 1, leaseMs: 5_000, clockShiftMs: HOURS_3 });
      const behind = await lab.startPool({ processes: 1, leaseMs: 5_000, clockShiftMs: -HOURS_3 });
      const stream = lab.producer.stream({ total: 1_000, perSecond: 500, make: (i) => workJob(i) });
      const delayed = lab.producer.stream({
        total: 1_000,
        perSecond: 1_000,
        make: (i) => ({ ...workJob(i), opts: { delayMs: 500 + (i % 50) * 60 } }),
      });
      await Promise.all([stream.done, delayed.done]);
      const analysis = await analyse(lab);

      let leaseLost = 0;
      let delayedJobs = 0;
      const shifts = new Map<number, number[]>();
      const finishes = byJob(analysis.ledger.filter((e) => e.kind === "E"));
      for (const [id, info] of analysis.infos) {
        leaseLost += (info?.errors ?? []).filter((e) => e.code === "LEASE_LOST").length;
        if (analysis.runAt.has(id)) delayedJobs++;
        const result = info?.result as { pid?: number; clock?: number } | undefined;
        const finish = finishes.get(id)?.[0];
        if (result?.pid !== undefined && result.clock !== undefined && finish) {
          shifts.set(result.pid, [...(shifts.get(result.pid) ?? []), result.clock - finish.at]);
        }
      }
      const median = (values: number[]) =>
        [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? 0;
      const seen = (pids: number[]) => pids.map((pid) => median(shifts.get(pid) ?? []));
      const aheadShift = seen(ahead.pool.pids);
      const behindShift = seen(behind.pool.pids);
      const near = (value: number, target: number) => Math.abs(value - target) < 60_000;
      return {
        analysis,
        recoveryMs: undefined,
        recovery: "no interruption to recover from",
        checks: [
          check(
            "the children's clocks really were 3 h ahead and 3 h behind",
            aheadShift.every((s) => near(s, HOURS_3)) && behindShift.every((s) => near(s, -HOURS_3)),
            `ahead ${aheadShift.map((s) => Math.round(s / 60_000))} min, behind ${behindShift.map((s) => Math.round(s / 60_000))} min`,
          ),
          check("both pools ran jobs", shifts.size === 2, `${shifts.size} process(es) with results`),
          check("no lease was reclaimed (no LEASE_LOST)", leaseLost === 0, `${leaseLost}`),
          check(
            "every delayed job has its run time on the Redis clock",
            delayedJobs === 1_000,
            `${delayedJobs}`,
          ),
          check(
            "every job ran exactly once",
            analysis.duplicates === 0,
            `${analysis.duplicates} duplicate(s)`,
          ),
        ],
        notes: [],
      };
    }),
};
