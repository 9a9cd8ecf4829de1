export type { BackoffOptions, ResolvedBackoff } from "./backoff.js";
export { backoffDelay, DEFAULT_BACKOFF, resolveBackoff } from "./backoff.js";
export type { JobEnvelope, JsonValue } from "./envelope.js";
export { DEFAULT_MAX_PAYLOAD_BYTES, decodeJob, encodeJob, JOB_SCHEMA_VERSION } from "./envelope.js";
export type { TqErrorCode, TqErrorOptions } from "./errors.js";
export { isTqError, isTqErrorCode, TQ_ERROR_CODES, TqError, UnrecoverableError } from "./errors.js";
export type { Priority, QueueKeys } from "./keys.js";
export {
  checkPrefix,
  DEFAULT_PREFIX,
  isValidPrefix,
  isValidQueueName,
  PRIORITIES,
  queueKeys,
  queuesKey,
  schedulesKey,
} from "./keys.js";
export type { JobOptions, ResolvedJobOptions, StoredJobOptions } from "./options.js";
export {
  DEFAULT_MAX_RETRIES,
  isValidJobId,
  isValidTaskName,
  resolveJobOptions,
  storedJobOptions,
} from "./options.js";
export { quote } from "./quote.js";
export type { JobRecord } from "./record.js";
export { decodeJobRecord, encodeJobRecord, JOB_RECORD_FIELDS } from "./record.js";
export type { StandardSchemaV1 } from "./standard-schema.js";
export type { Task, TaskArgs, TaskArgsInput, TaskDefaults, TaskDefinition, TaskResult } from "./task.js";
export { defineTask, isTask } from "./task.js";
export type { CheckTimerOptions } from "./timers.js";
export { checkTimerMs, MAX_TIMER_MS } from "./timers.js";
export { formatIssues, validateWithSchema } from "./validate.js";
