import { Histogram, type Registry } from "prom-client";
import { RUN_BUCKETS, WAIT_BUCKETS } from "./names.js";

/** The job a worker event is about, as far as the histograms read it (a `WorkerJob` of `@tq/worker`). */
export interface ObservedJob {
  queue: string;
  task: string;
  /** Which run this is, 1-based. */
  attempt: number;
  /** How long this run waited to start, in milliseconds, from when the job became runnable. */
  waitedMs: number;
}

/** What {@link TqMetrics.observe} listens to: a `Worker` of `@tq/worker` (its public events). */
export interface ObservableWorker {
  on(event: "active", listener: (job: ObservedJob) => void): unknown;
  on(event: "completed" | "failed" | "retrying", listener: (job: ObservedJob) => void): unknown;
  off(event: "active", listener: (job: ObservedJob) => void): unknown;
  off(event: "completed" | "failed" | "retrying", listener: (job: ObservedJob) => void): unknown;
}

/** The two per-task histograms, observed in the process where the jobs run. */
export class JobHistograms {
  readonly wait: Histogram<"queue" | "task">;
  readonly run: Histogram<"queue" | "task">;

  constructor(registers: Registry[]) {
    this.wait = new Histogram({
      name: "tq_job_wait_seconds",
      help: "Seconds each run waited to start, from when its job became runnable (observed where it runs).",
      labelNames: ["queue", "task"],
      buckets: [...WAIT_BUCKETS],
      registers,
    });
    this.run = new Histogram({
      name: "tq_job_run_seconds",
      help: "Seconds a job's handler ran, from its start to its end, per run (observed where it runs).",
      labelNames: ["queue", "task"],
      buckets: [...RUN_BUCKETS],
      registers,
    });
  }

  /** Observes the runs of `worker` until the returned function is called. */
  observe(worker: ObservableWorker): () => void {
    // Keyed by the job object: a Worker passes the same object to a run's `active` and to its ending event.
    const started = new WeakMap<ObservedJob, number>();
    const onActive = (job: ObservedJob) => {
      started.set(job, Date.now());
      if (Number.isFinite(job.waitedMs)) {
        this.wait.observe({ queue: job.queue, task: job.task }, Math.max(0, job.waitedMs) / 1_000);
      }
    };
    const onEnd = (job: ObservedJob) => {
      const start = started.get(job);
      if (start === undefined) return;
      started.delete(job);
      this.run.observe({ queue: job.queue, task: job.task }, (Date.now() - start) / 1_000);
    };
    worker.on("active", onActive);
    worker.on("completed", onEnd);
    worker.on("failed", onEnd);
    worker.on("retrying", onEnd);
    return () => {
      worker.off("active", onActive);
      worker.off("completed", onEnd);
      worker.off("failed", onEnd);
      worker.off("retrying", onEnd);
    };
  }
}
