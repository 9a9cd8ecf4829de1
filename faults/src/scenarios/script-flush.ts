import { analyse, resumedAfter } from "@tq/harness";
import { sleep } from "@tq/testing";
import { check, type FaultScenario } from "../result.js";
import { runScenario, workJob } from "../run-scenario.js";

const meta = {
  id: "script-flush",
  title: "SCRIPT FLUSH under load",
  fault: "SCRIPT FLUSH ten times, 250 ms apart, under load",
};

/** The script cache is emptied under load: every caller falls back from EVALSHA to EVAL and goes on. */
export const scriptFlush: FaultScenario = {
  id: meta.id,
  title: meta.title,
  run: () =>
    runScenario(meta, async (lab) => {
      const { pool, exits } = await lab.startPool();
      const stream = lab.producer.stream({ total: 3_000, perSecond: 1_000, make: (i) => workJob(i) });
      await lab.waitForStarts(500);
      const first = Date.now();
      let last = first;
      for (let i = 0; i < 10; i++) {
        last = Date.now();
        await lab.admin.sendCommand(["SCRIPT", "FLUSH"]);
        await sleep(250);
      }
      await stream.done;
      const analysis = await analyse(lab);
      // The longest pause between two execution starts while the cache was being flushed.
      const window = analysis.ledger.filter((e) => e.kind === "S" && e.at >= first && e.at <= last + 250);
      let gap = 0;
      for (let i = 1; i < window.length; i++) {
        gap = Math.max(gap, (window[i]?.at ?? 0) - (window[i - 1]?.at ?? 0));
      }
      const resumed = resumedAfter(analysis.ledger, last, pool.pids);
      return {
        analysis,
        recoveryMs: gap,
        recovery: "the longest pause between two job starts while the script cache was being flushed",
        checks: [
          check("every worker process consumed after the last flush", resumed !== undefined),
          check(
            "no producer call failed",
            lab.producer.errorCodes.size === 0,
            JSON.stringify(Object.fromEntries(lab.producer.errorCodes)),
          ),
          check("no worker process died", exits.length === 0),
        ],
        notes: [],
      };
    }),
};
