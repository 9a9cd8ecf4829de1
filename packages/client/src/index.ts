export type { ClusterConnectionOptions, ConnectionOption, RedisClientLike } from "@tq/connection";
export { defaultRedisUrl } from "@tq/connection";
export type { BackoffOptions, JobOptions, Priority, Task, TqErrorCode } from "@tq/job-schema";
export {
  DEFAULT_MAX_PAYLOAD_BYTES,
  defineTask,
  isTqError,
  JOB_SCHEMA_VERSION,
  TqError,
} from "@tq/job-schema";
export type {
  JobError,
  JobInfo,
  JobStatus,
  QueueEvent,
  QueueEventError,
  QueueEventType,
  RateLimit,
  RetentionOptions,
  RetentionRule,
  WorkerInfo,
  WorkerState,
} from "@tq/protocol";
export { DEFAULT_RETENTION, EVENTS_GAP, QUEUE_EVENT_TYPES, THROUGHPUT_WINDOW_MINUTES } from "@tq/protocol";
export { ENQUEUE_MANY_MAX_BYTES, ENQUEUE_MANY_MAX_JOBS } from "./batch-limits.js";
export type {
  EnqueuedJob,
  EnqueueItem,
  JobCounts,
  ListOptions,
  WaitOptions,
} from "./queue.js";
export { Queue } from "./queue.js";
export type { EventsOptions } from "./queue-events.js";
export type { GroupInfo, GroupsOptions, GroupsPage } from "./queue-groups.js";
export type { QueueLogger, QueueOptions } from "./queue-options.js";
export type { QueueLimits, QueueStats, QueueTotals } from "./queue-stats.js";
