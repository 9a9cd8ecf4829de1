import { type ConnectionOption, createLogger, type Logger } from "@tq/connection";
import { checkTimerMs, DEFAULT_MAX_PAYLOAD_BYTES, TqError } from "@tq/job-schema";
import { checkQueueName, DEFAULT_PREFIX, type RetentionOptions, retentionFields } from "@tq/protocol";

/** Options for {@link Queue}. */
export interface QueueOptions {
  /** Where Redis is. @defaultValue `process.env.REDIS_URL ?? "redis://127.0.0.1:6379"` */
  connection?: ConnectionOption;
  /** Namespaces every key: `<prefix>:{<queue>}:…`. @defaultValue "tq" */
  prefix?: string;
  /** The largest encoded job in bytes; larger ones are refused with `PAYLOAD_TOO_LARGE`. @defaultValue 524288 (512 KiB) */
  maxPayloadBytes?: number;
  /** How many finished jobs to keep. Written to Redis for the whole queue when given. @defaultValue newest 1,000 completed, 10,000 failed */
  retention?: RetentionOptions;
  /**
   * How long, in milliseconds, `enqueue` and `enqueueMany` keep re-sending a call that failed on a connection error
   * (the connection dropped, Redis restarted or is still loading its data) before they reject with `CONNECTION`.
   * Re-sending is safe: every job id is minted before the first send, and the enqueue script stores an id only
   * once, so a call whose reply was lost is not stored twice, and it still reports `created: true`. The first re-send
   * goes out at once, later ones after a short pause (up to 1 s); a re-send made while the connection is down waits
   * for it no longer than the time left. The time counts from the first failure, which comes at most 5 s after the
   * connection dropped. `0` rejects on the first connection error (the outcome is then unknown: enqueue again with the
   * same `jobId`). Failing to open the first connection is not retried: it has its own 10 s wait.
   * @defaultValue 15_000
   */
  retryConnectionMs?: number;
  /**
   * The most jobs waiting to run (pending + scheduled, which includes retries waiting for their backoff) the queue
   * may hold for this producer to add more. An `enqueue` that would go over it is refused with `QUEUE_FULL`, an
   * `enqueueMany` as a whole (none of its jobs is stored); a job whose `jobId` exists already is never refused.
   * Checked inside the enqueue script, so producers racing for the last places cannot overshoot it. It is this
   * producer's setting, not stored in Redis: each `Queue` applies its own, and jobs fired by a `Scheduler` are not
   * counted against it. A positive integer. @defaultValue no limit
   */
  maxPending?: number;
  /**
   * Where the queue writes warnings that do not fail an operation: Redis evicts keys under memory pressure (an
   * evicting `maxmemory-policy`, checked on the first connection), or the queue could not be added to the shared
   * list of queue names (an ACL). A pino-compatible logger (`warn(obj, msg)`): pino, `console`, or tq's
   * `createLogger`. Lines carry `queue` and `err`. @defaultValue text lines on stderr (`createLogger("queue")`)
   */
  logger?: QueueLogger;
  /**
   * How many hash slots the queue spreads over. Only `1` is accepted by this version: a queue's keys share one
   * `{hash tag}`, so on a Redis Cluster one queue lives on one master (many queues spread over the masters by their
   * names). Anything else is refused with `VALIDATION` rather than ignored, so that no producer believes its
   * queue is spread when it is not. @defaultValue 1
   */
  shards?: number;
}

/** What a {@link Queue} logs to: the {@link Logger} every tq class takes. */
export type QueueLogger = Logger;

/** The defaults of {@link QueueOptions}. */
export const QUEUE_DEFAULTS = {
  prefix: DEFAULT_PREFIX,
  maxPayloadBytes: DEFAULT_MAX_PAYLOAD_BYTES,
  retryConnectionMs: 15_000,
} as const;

/** {@link QueueOptions} checked, with their defaults applied. */
export interface ResolvedQueueOptions {
  readonly name: string;
  readonly connection: ConnectionOption | undefined;
  readonly prefix: string;
  readonly maxPayloadBytes: number;
  readonly retention: RetentionOptions | undefined;
  readonly retryConnectionMs: number;
  readonly maxPending: number | undefined;
  readonly logger: QueueLogger;
}

/** Checks a queue's name and options once, applying the defaults; throws `VALIDATION` saying what is wrong. */
export function resolveQueueOptions(name: string, options: QueueOptions): ResolvedQueueOptions {
  checkQueueName(name);
  const maxPayloadBytes = options.maxPayloadBytes ?? QUEUE_DEFAULTS.maxPayloadBytes;
  if (!Number.isInteger(maxPayloadBytes) || maxPayloadBytes <= 0) {
    throw new TqError(
      "VALIDATION",
      `maxPayloadBytes must be a positive integer, got ${String(maxPayloadBytes)}`,
    );
  }
  if (options.retention) retentionFields(options.retention);
  const maxPending = options.maxPending;
  if (maxPending !== undefined && (!Number.isSafeInteger(maxPending) || maxPending < 1)) {
    throw new TqError("VALIDATION", `maxPending must be a positive integer, got ${String(maxPending)}`);
  }
  const shards = options.shards;
  if (shards !== undefined && shards !== 1) {
    throw new TqError(
      "VALIDATION",
      Number.isInteger(shards) && (shards as number) > 1
        ? `shards: ${String(shards)}: a queue spread over several hash slots is not supported by this version of ` +
            "@tq/client; every queue lives in one slot (on a Redis Cluster, on one master: see docs/cluster.md), " +
            "so leave shards out or give 1; to spread work over the masters today, use several queues"
        : `shards must be a positive integer (1 in this version), got ${String(shards)}`,
    );
  }
  const retryConnectionMs = checkTimerMs(
    options.retryConnectionMs ?? QUEUE_DEFAULTS.retryConnectionMs,
    "retryConnectionMs",
  ) as number;
  return {
    name,
    connection: options.connection,
    prefix: options.prefix ?? QUEUE_DEFAULTS.prefix,
    maxPayloadBytes,
    retention: options.retention,
    retryConnectionMs,
    maxPending,
    logger: options.logger ?? createLogger("queue"),
  };
}
