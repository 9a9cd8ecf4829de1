export { isTqError, TqError, UnrecoverableError } from "@tq/job-schema";
export type { Handler, Handlers, JobContext, Logger, TaskHandler, WorkerJob } from "./handlers.js";
export type { PoolCloseOptions } from "./pool.js";
export { WorkerPool } from "./pool.js";
export type {
  PoolChild,
  PoolChildExit,
  PoolExitReason,
  PoolExitRun,
  WorkerPoolEvents,
} from "./pool-events.js";
export type { WorkerPoolOptions } from "./pool-options.js";
export type { LostRunOutcome } from "./redis-calls.js";
export type { CloseOptions, WorkerEvents, WorkerHealth } from "./worker.js";
export { Worker } from "./worker.js";
export type { WorkerOptions } from "./worker-options.js";
