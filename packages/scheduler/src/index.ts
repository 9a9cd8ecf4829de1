export type { EnqueuedJob } from "@tq/client";
export { isTqError, TqError } from "@tq/job-schema";
export type { DelayedJobOptions } from "./delayed-job.js";
export type { SweptEvent } from "./queue-sweeps.js";
export type {
  ScheduleInfo,
  ScheduleJobOptions,
  ScheduleTarget,
  TaskScheduleTarget,
} from "./schedule-definition.js";
export type { SchedulerEvents } from "./scheduler.js";
export { Scheduler } from "./scheduler.js";
export type { SchedulerOptions } from "./scheduler-options.js";
export type { FiredEvent, MissedEvent } from "./tick-firing.js";
export type {
  CronTiming,
  IntervalTiming,
  MissedTickOptions,
  MissedTickPolicy,
  ResolvedTiming,
  ScheduleTiming,
} from "./timing.js";
