export type { ObservableWorker, ObservedJob } from "./histograms.js";
export { createMetrics, DEFAULT_SCRAPE_TIMEOUT_MS, type MetricsOptions, type TqMetrics } from "./metrics.js";
export { JOB_STATES, RUN_BUCKETS, TOTALS, type TotalName, WAIT_BUCKETS } from "./names.js";
