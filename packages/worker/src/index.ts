export { isTqError, TqError, UnrecoverableError } from "@tq/job-schema";
export type { Handler, Handlers, JobContext, Logger, TaskHandler, WorkerJob } from "./handlers.js";
export type { CloseOptions, WorkerEvents, WorkerOptions } from "./worker.js";
export { Worker } from "./worker.js";
