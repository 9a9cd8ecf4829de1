export {
  DEFAULT_RETENTION,
  ENQUEUE_ARGS_PER_JOB,
  EVENT_ERROR_MESSAGE_BYTES,
  LUA_CONSTANTS,
  MAX_ERROR_BYTES,
  MAX_ERRORS_KEPT,
  MAX_EVENT_IDS,
  MAX_EVENTS,
  MIN_EVENTS,
  NEXT_WAKE_NONE,
  NEXT_WAKE_NOT_COMPUTED,
  PRUNE_WORKERS_LIMIT,
  THROUGHPUT_WINDOW_MINUTES,
} from "./constants.js";
export type { QueueEvent, QueueEventError, QueueEventType } from "./events.js";
export {
  compareStreamIds,
  decodeEventEntry,
  EVENTS_GAP,
  eventId,
  parseEventId,
  QUEUE_EVENT_TYPES,
} from "./events.js";
export type { JobError, JobInfo, JobStatus } from "./job-info.js";
export { JOB_FIELDS, JOB_STATES, parseJobInfo } from "./job-info.js";
export type { TimelineEntry, TimelineJob } from "./job-timeline.js";
export { jobTimeline, readJobEvents, readRunAt } from "./job-timeline.js";
export type { QueueKeys, ScheduleKeys } from "./keys.js";
export {
  checkPrefix,
  checkQueueName,
  DEFAULT_PREFIX,
  isValidPrefix,
  isValidQueueName,
  queueKeys,
  queuesKey,
  scheduleKeys,
  schedulesKey,
} from "./keys.js";
export { listQueueNames, queueExists } from "./known-queues.js";
export type { LuaSource } from "./lua-source.js";
export type { PreparedJob } from "./prepare-job.js";
export { prepareJob, taskName, validateArgs } from "./prepare-job.js";
export type { JobRecord, RecordEnvelope } from "./record.js";
export { decodeJobRecord, encodeJobRecord, JOB_RECORD_FIELDS } from "./record.js";
export { redisTimeMs } from "./redis-time.js";
export type { ToTqError } from "./register-queue.js";
export { registerQueue } from "./register-queue.js";
export type { RetentionOptions, RetentionRule } from "./retention.js";
export { retentionFields } from "./retention.js";
export type { RunOptions, Script, ScriptCallArgs, ScriptDefinition, ScriptSender } from "./script.js";
export { defineScript, runScript } from "./script.js";
export type { CancelResult } from "./scripts/cancel.js";
export { CANCEL_REPLY, cancel, parseCancelMessage } from "./scripts/cancel.js";
export type { CrashedOutcome, CrashedRun } from "./scripts/crashed.js";
export { CRASHED_OUTCOME, crashed } from "./scripts/crashed.js";
export type { EnqueueInput, EnqueueOutcome } from "./scripts/enqueue.js";
export { ENQUEUE_OUTCOME, enqueue } from "./scripts/enqueue.js";
export type { ExtendInput, ExtendResult } from "./scripts/extend.js";
export { extend } from "./scripts/extend.js";
export type { FireOutcome, FireTick } from "./scripts/fire.js";
export { FIRE_OUTCOME, fire } from "./scripts/fire.js";
export type { HeldRun } from "./scripts/key-lists.js";
export type { LimitsInput, RateLimit } from "./scripts/limits.js";
export { holdClaims, setLimits } from "./scripts/limits.js";
export type { ProgressInput, ProgressReply } from "./scripts/progress.js";
export { PROGRESS_REPLY, progress } from "./scripts/progress.js";
export type { PurgeInput, PurgeResult } from "./scripts/purge.js";
export { PURGE_MAX_PER_CALL, purge } from "./scripts/purge.js";
export type { RecoverInput } from "./scripts/recover.js";
export { recover } from "./scripts/recover.js";
export type { ReleaseInput } from "./scripts/release.js";
export { release } from "./scripts/release.js";
export { resume } from "./scripts/resume.js";
export type { RetryInput } from "./scripts/retry.js";
export { retry } from "./scripts/retry.js";
export type { DueSchedules, ScheduleMove, UpsertScheduleInput } from "./scripts/schedules.js";
export { advanceSchedules, dueSchedules, removeSchedule, upsertSchedule } from "./scripts/schedules.js";
export type { SweepResult } from "./scripts/sweep.js";
export { sweep } from "./scripts/sweep.js";
export type {
  AckOp,
  AckOutcome,
  ClaimedJob,
  TakeAck,
  TakeInput,
  TakeLimit,
  TakeResult,
} from "./scripts/take.js";
export { ACK_OP, ACK_OUTCOME, parseTakeReply, TAKE_LIMIT, take } from "./scripts/take.js";
export type { HeartbeatInput, WorkerPage } from "./scripts/workers.js";
export { heartbeat, listWorkers, removeWorker } from "./scripts/workers.js";
export type { StreamEntry } from "./stream-reply.js";
export { parseXRead } from "./stream-reply.js";
export type {
  ProcessSpan,
  ProcessSpanInput,
  PublishSpan,
  TqTracer,
  TraceCarrier,
  TracingApiLoader,
} from "./tracing.js";
export { MAX_TRACE_CARRIER_CHARS, MESSAGING_SYSTEM, tqTracer } from "./tracing.js";
export type { WorkerField, WorkerInfo, WorkerReadContext, WorkerState } from "./worker-info.js";
export { parseWorkerInfo, WORKER_FIELDS, WORKER_STATES, WORKER_WRITTEN_STATES } from "./worker-info.js";
