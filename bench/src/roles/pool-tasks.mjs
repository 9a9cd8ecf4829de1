// The handlers module the tq WorkerPool children load: one task, a no-op unless TQ_BENCH_CPU_MS says how many
// milliseconds each job keeps the CPU busy. Each child appends the time its first job started to the file named by
// TQ_BENCH_POOL_STARTS, so the runner can time the pool from its first start.
import { appendFileSync } from "node:fs";

let started = false;
const cpuMs = Number(process.env.TQ_BENCH_CPU_MS ?? 0);

export default {
  noop: async () => {
    if (!started) {
      started = true;
      const file = process.env.TQ_BENCH_POOL_STARTS;
      if (file) appendFileSync(file, `${Date.now()}\n`);
    }
    if (cpuMs > 0) {
      const until = performance.now() + cpuMs;
      while (performance.now() < until) {
        // spin: a CPU-bound job
      }
    }
  },
};
