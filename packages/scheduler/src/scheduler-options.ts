import type { ConnectionOption } from "@tq/client";
import { createLogger, type Logger } from "@tq/connection";
import { DEFAULT_MAX_PAYLOAD_BYTES, TqError } from "@tq/job-schema";
import { checkQueueName, DEFAULT_PREFIX } from "@tq/protocol";

/** Options for {@link Scheduler}. */
export interface SchedulerOptions {
  /** Where Redis is. @defaultValue `process.env.REDIS_URL ?? "redis://127.0.0.1:6379"` */
  connection?: ConnectionOption;
  /** The key prefix; must match the producers' and workers'. @defaultValue "tq" */
  prefix?: string;
  /**
   * The queues to sweep (promote due delayed and retry jobs, take back expired leases). By default every queue in
   * `<prefix>:queues` (every queue a producer, worker or schedule has used), read again every `maxIntervalMs`.
   */
  queues?: readonly string[];
  /**
   * The longest the scheduler sleeps between two passes, in milliseconds. It wakes earlier, on the Redis clock, for
   * the next schedule tick, the next due delayed job and the next lease expiry; this bounds how late it notices a
   * schedule, a queue or a queue's new delayed job that another process added. Every `maxIntervalMs` it reads, with
   * two cheap commands per queue, when each queue next needs a sweep; only queues with due work are swept.
   * @defaultValue 1_000
   */
  maxIntervalMs?: number;
  /** The most jobs one sweep call moves per queue; a queue with more is swept again at once. @defaultValue 1_000 */
  sweepBatch?: number;
  /**
   * How often, in milliseconds, the scheduler also looks for failed jobs past their retention age in queues that
   * have nothing else to sweep, and for queues that no longer exist: a name in `<prefix>:queues` whose queue had
   * none of its keys left at two such checks in a row is removed from the set (a `Queue` or `Worker` of that queue
   * adds it again when it next connects). Names are never removed when `queues` is given. @defaultValue 60_000
   */
  housekeepingIntervalMs?: number;
  /** The largest encoded job in bytes, for `schedule()` and scheduled jobs. @defaultValue 524288 (512 KiB) */
  maxPayloadBytes?: number;
  /** How long `close()` waits for a pass in flight before it drops the connection, in milliseconds. @defaultValue 5_000 */
  closeTimeoutMs?: number;
  /**
   * Where errors go when nothing listens to the `error` event (pino-compatible: pino, `console`, or `createLogger`
   * of `@tq/connection`; lines carry `err`). @defaultValue text lines on stderr (`createLogger("scheduler")`)
   */
  logger?: Logger;
}

/** The default of every {@link SchedulerOptions} field that has one. */
export const SCHEDULER_DEFAULTS = {
  prefix: DEFAULT_PREFIX,
  maxIntervalMs: 1_000,
  sweepBatch: 1_000,
  housekeepingIntervalMs: 60_000,
  maxPayloadBytes: DEFAULT_MAX_PAYLOAD_BYTES,
  closeTimeoutMs: 5_000,
} as const;

/** {@link SchedulerOptions} checked, with every default filled in. */
export interface ResolvedSchedulerOptions {
  /** As given: `RedisConnection.open` applies the connection's own default. */
  readonly connection: ConnectionOption | undefined;
  readonly prefix: string;
  /** The `queues` option without repeats; undefined: every queue in `<prefix>:queues`. */
  readonly queues: readonly string[] | undefined;
  readonly maxIntervalMs: number;
  readonly sweepBatch: number;
  readonly housekeepingIntervalMs: number;
  readonly maxPayloadBytes: number;
  readonly closeTimeoutMs: number;
  readonly logger: Logger;
}

/** Whether `value` is a whole number >= 1 that a timer or a count can hold exactly. */
export function isPositiveInteger(value: unknown): value is number {
  return Number.isSafeInteger(value) && (value as number) >= 1;
}

function positiveInteger(value: number, name: string): number {
  if (!isPositiveInteger(value)) {
    throw new TqError("VALIDATION", `${name} must be a positive integer, got ${String(value)}`);
  }
  return value;
}

/** Checks every option once and fills in the defaults. Throws `VALIDATION` naming the option that is wrong. */
export function resolveSchedulerOptions(options: SchedulerOptions = {}): ResolvedSchedulerOptions {
  const d = SCHEDULER_DEFAULTS;
  const prefix = options.prefix ?? d.prefix;
  if (typeof prefix !== "string" || prefix.length === 0 || /[{}\s]/.test(prefix)) {
    throw new TqError(
      "VALIDATION",
      `prefix must be a non-empty string without whitespace or braces, got ${JSON.stringify(prefix)}`,
    );
  }
  if (options.queues !== undefined) {
    if (!Array.isArray(options.queues)) {
      throw new TqError("VALIDATION", "queues must be an array of queue names");
    }
    for (const queue of options.queues) checkQueueName(queue, "Scheduler option queues");
  }
  return {
    connection: options.connection,
    prefix,
    queues: options.queues ? [...new Set(options.queues)] : undefined,
    maxIntervalMs: positiveInteger(options.maxIntervalMs ?? d.maxIntervalMs, "maxIntervalMs"),
    sweepBatch: positiveInteger(options.sweepBatch ?? d.sweepBatch, "sweepBatch"),
    housekeepingIntervalMs: positiveInteger(
      options.housekeepingIntervalMs ?? d.housekeepingIntervalMs,
      "housekeepingIntervalMs",
    ),
    maxPayloadBytes: positiveInteger(options.maxPayloadBytes ?? d.maxPayloadBytes, "maxPayloadBytes"),
    closeTimeoutMs: options.closeTimeoutMs ?? d.closeTimeoutMs,
    logger: options.logger ?? createLogger("scheduler"),
  };
}
