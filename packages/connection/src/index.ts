export type { ClusterUrlNode, ParsedClusterUrl } from "./cluster-url.js";
export {
  CLUSTER_URL_FORM,
  clusterOptionsFromUrl,
  isClusterUrl,
  parseClusterUrl,
  redactClusterUrl,
} from "./cluster-url.js";
export type {
  ClusterConnectionOptions,
  ConnectionOption,
  OpenOptions,
  RedisClientLike,
  RedisServerHandle,
} from "./connection.js";
export {
  defaultRedisUrl,
  isCluster,
  isClusterOptions,
  isTransient,
  RedisConnection,
  toTqError,
} from "./connection.js";
export type { CreateLoggerOptions, LogFields, LogFn, LogFormat, Logger, LogLevel } from "./logger.js";
export {
  createLogger,
  LOG_FORMATS,
  LOG_LEVELS,
  logArguments,
  parseLogFormat,
  withFields,
  writeByLevel,
} from "./logger.js";
export type { MemoryPolicyStatus } from "./memory-policy.js";
export {
  checkMemoryPolicy,
  evictingPolicyMessage,
  isEvictingPolicy,
  warnIfEvictingPolicy,
} from "./memory-policy.js";
export { MAX_RECONNECT_DELAY_MS, reconnectDelayMs } from "./reconnect-delay.js";
export { redactCredentials, urlSecrets } from "./redact-credentials.js";
export { NON_REDIS_URL, redactUrl, UNPARSABLE_URL } from "./redact-url.js";
