// The handlers module the tq WorkerPool children load: one no-op task. Each child appends the time its first job
// started to the file named by TQ_BENCH_POOL_STARTS, so the runner can time the pool from its first start.
import { appendFileSync } from "node:fs";

let started = false;

export default {
  noop: async () => {
    if (started) return;
    started = true;
    const file = process.env.TQ_BENCH_POOL_STARTS;
    if (file) appendFileSync(file, `${Date.now()}\n`);
  },
};
