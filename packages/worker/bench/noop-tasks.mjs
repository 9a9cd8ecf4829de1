// The handlers of the WorkerPool scaling benchmark.
export default {
  /** Does nothing: measures the queue and the pool, not the work. */
  noop: () => undefined,
  /** Keeps the CPU busy for `ms` milliseconds without yielding: CPU-bound work. */
  spin: ([ms]) => {
    const end = performance.now() + ms;
    while (performance.now() < end) {
      // busy
    }
  },
};
