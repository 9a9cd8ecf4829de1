export type { BackoffOptions, JobOptions, Priority, Task, TqErrorCode } from "@tq/job-schema";
export {
  DEFAULT_MAX_PAYLOAD_BYTES,
  defineTask,
  isTqError,
  JOB_SCHEMA_VERSION,
  TqError,
} from "@tq/job-schema";
export { ENQUEUE_MANY_MAX_BYTES, ENQUEUE_MANY_MAX_JOBS } from "./batch-limits.js";
export type { ConnectionOption, RedisClientLike } from "./connection.js";
export { defaultRedisUrl } from "./connection.js";
export type { JobError, JobInfo, JobStatus } from "./job-info.js";
export type {
  EnqueuedJob,
  EnqueueItem,
  JobCounts,
  ListOptions,
  QueueLogger,
  QueueOptions,
  WaitOptions,
} from "./queue.js";
export { Queue } from "./queue.js";
export type { RetentionOptions, RetentionRule } from "./retention.js";
export { DEFAULT_RETENTION } from "./retention.js";
