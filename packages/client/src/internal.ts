// Building blocks shared by @tq/worker and @tq/scheduler. Not a public API: it may change in any release.

export type { ConnectionOption, OpenOptions } from "./connection.js";
export { isTransient, RedisConnection, toTqError } from "./connection.js";
export { JOB_FIELDS, parseJobInfo } from "./job-info.js";
export * as scripts from "./lua/scripts.generated.js";
export type { LuaScript } from "./lua-script.js";
export { runScript } from "./lua-script.js";
export type { MemoryPolicyStatus } from "./memory-policy.js";
export {
  checkMemoryPolicy,
  evictingPolicyMessage,
  isEvictingPolicy,
  warnIfEvictingPolicy,
} from "./memory-policy.js";
export type { PreparedJob } from "./prepare-job.js";
export { ENQUEUE_ARGS_PER_JOB, prepareJob, taskName, validateArgs } from "./prepare-job.js";
export { redactUrl } from "./redact-url.js";
export { registerQueue } from "./register-queue.js";
export { retentionFields } from "./retention.js";
export {
  cancelKeys,
  claimsKey,
  crashedKeys,
  enqueueKeys,
  extendKeys,
  progressKeys,
  recoverKeys,
  releaseKeys,
  resumeKeys,
  retryKeys,
  sweepKeys,
  takeKeys,
} from "./script-keys.js";
export type { StreamEntry } from "./stream-reply.js";
export { parseXRead } from "./stream-reply.js";
export type { ClaimedJob, TakeResult } from "./take-reply.js";
export { parseTakeReply } from "./take-reply.js";
