import type { Priority, Task, TaskArgs, TaskResult } from "@tq/job-schema";

/** The pino-compatible logger every tq class takes (`info(obj, msg)` or `info(msg)`), from `@tq/connection`. */
export type Logger = import("@tq/connection").Logger;

/** What a handler gets beside its args. */
export interface JobContext {
  jobId: string;
  queue: string;
  task: string;
  /** Which run this is, 1-based. */
  attempt: number;
  maxRetries: number;
  priority: Priority;
  /** Aborted when the run times out, its lease is lost or the worker is forced to shut down. */
  signal: AbortSignal;
  /** Records a progress value (any JSON) on the job, visible in `getJob().progress`. */
  progress(value: unknown): Promise<void>;
  /**
   * Tells tq the downstream this handler calls is throttling: every worker of the queue stops claiming for `ms`
   * milliseconds (Redis clock; a longer hold already on stays). If this run then throws, the job is handed back to
   * the front of its queue without counting the attempt or failing, and runs again after the hold; if it returns,
   * its result stands. Throws `VALIDATION` for `ms` outside 1 ms to one day.
   */
  rateLimit(ms: number): Promise<void>;
  /**
   * The worker's logger with `queue`, `jobId`, `task` and `attempt` on every line: `logger.child(…)` when the logger
   * has `child` (pino), else a wrapper adding them. Takes `info("text")` and `info({ … }, "text")`.
   */
  logger: Logger;
}

/** Runs one job. Throwing (or rejecting) fails the run; the return value (JSON) is the job's result. */
export type Handler<Args = unknown, Result = unknown> = (
  args: Args,
  ctx: JobContext,
) => Result | Promise<Result>;

/** Handlers by task name. */
export type Handlers = Record<string, Handler<never, unknown>>;

/** A handler typed by a task contract. */
export type TaskHandler<T extends Task> = Handler<TaskArgs<T>, TaskResult<T>>;

/** The job a worker event is about. */
export interface WorkerJob {
  id: string;
  queue: string;
  task: string;
  args: unknown;
  attempt: number;
  maxRetries: number;
  priority: Priority;
  /** When the job was created, in epoch milliseconds (the producer's clock). */
  createdAt: number;
  /**
   * How long this run waited to start, in milliseconds: from when the job became runnable (its run time after a
   * delay, a backoff or a reclaim, else its creation) to its claim.
   */
  waitedMs: number;
}
