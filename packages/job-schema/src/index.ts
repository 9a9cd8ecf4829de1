export type { BackoffOptions, ResolvedBackoff } from "./backoff.js";
export { backoffDelay, DEFAULT_BACKOFF, resolveBackoff } from "./backoff.js";
export type { JobEnvelope, JsonValue } from "./envelope.js";
export { DEFAULT_MAX_PAYLOAD_BYTES, decodeError, exceedsBytes, JOB_SCHEMA_VERSION } from "./envelope.js";
export type { TqErrorCode, TqErrorOptions } from "./errors.js";
export { isTqError, isTqErrorCode, TQ_ERROR_CODES, TqError, UnrecoverableError } from "./errors.js";
export type { RateLimitOptions } from "./limits.js";
export {
  checkConcurrency,
  checkHoldMs,
  checkRateLimit,
  MAX_CONCURRENCY,
  MAX_HOLD_MS,
  MAX_RATE_LIMIT,
  MAX_RATE_LIMIT_DURATION_MS,
} from "./limits.js";
export type { DedupeOptions, JobOptions, ResolvedJobOptions, StoredJobOptions } from "./options.js";
export {
  checkGroupName,
  DEFAULT_MAX_RETRIES,
  isValidGroupName,
  isValidJobId,
  isValidTaskName,
  MAX_DEDUPE_MS,
  MAX_GROUP_BYTES,
  resolveJobOptions,
  storedJobOptions,
} from "./options.js";
export type { Priority } from "./priority.js";
export { PRIORITIES } from "./priority.js";
export { quote } from "./quote.js";
export type { StandardSchemaV1 } from "./standard-schema.js";
export type {
  InputOf,
  OutputOf,
  Task,
  TaskArgs,
  TaskArgsInput,
  TaskDefaults,
  TaskDefinition,
  TaskResult,
} from "./task.js";
export { defineTask, isTask } from "./task.js";
export type { CheckTimerOptions } from "./timers.js";
export { checkTimerMs, MAX_TIMER_MS } from "./timers.js";
export { formatIssues, validateWithSchema } from "./validate.js";
