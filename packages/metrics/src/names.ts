/** The histogram buckets of `tq_job_wait_seconds`, in seconds: 5 ms to 30 minutes. */
export const WAIT_BUCKETS: readonly number[] = [
  0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800,
];

/** The histogram buckets of `tq_job_run_seconds`, in seconds: 5 ms to 30 minutes. */
export const RUN_BUCKETS: readonly number[] = [
  0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800,
];

/** The job states `tq_jobs{state}` reports. */
export const JOB_STATES = ["scheduled", "pending", "active", "completed", "failed"] as const;

/** The monotonic totals `queue.stats().totals` carries, each reported as `tq_jobs_<name>_total`. */
export const TOTALS = ["enqueued", "completed", "failed", "retried", "stalled"] as const;

/** One of {@link TOTALS}. */
export type TotalName = (typeof TOTALS)[number];
