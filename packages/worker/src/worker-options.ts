import { randomUUID } from "node:crypto";
import type { ConnectionOption, RetentionOptions } from "@tq/client";
import { createLogger } from "@tq/connection";
import { checkTimerMs, DEFAULT_MAX_PAYLOAD_BYTES, isValidJobId, quote, TqError } from "@tq/job-schema";
import { checkPrefix, checkQueueName, DEFAULT_PREFIX, retentionFields } from "@tq/protocol";
import type { Logger } from "./handlers.js";

/** Options for {@link Worker}. */
export interface WorkerOptions {
  /** Where Redis is. @defaultValue `process.env.REDIS_URL ?? "redis://127.0.0.1:6379"` */
  connection?: ConnectionOption;
  /** The key prefix; must match the producers'. @defaultValue "tq" */
  prefix?: string;
  /** How many jobs run at once in this process. @defaultValue 1 */
  concurrency?: number;
  /**
   * How long a claimed job's lease lasts, in milliseconds. The worker renews it every `leaseMs / 3` while the
   * handler runs; a lease that is not renewed expires and the job is given to another worker. From 100 to 2³¹−1.
   * @defaultValue 30_000
   */
  leaseMs?: number;
  /**
   * How long `close()` waits for running jobs, in milliseconds (at most 2³¹−1), before it aborts them and hands them
   * back. @defaultValue 30_000
   */
  shutdownTimeoutMs?: number;
  /** The longest a stored job may be, in bytes; larger records fail with `DECODE`. @defaultValue 524288 */
  maxPayloadBytes?: number;
  /**
   * The largest handler result stored, in bytes of JSON. A larger result fails the job at once, without retries,
   * with code `PAYLOAD_TOO_LARGE` (the script that records results refuses it too). @defaultValue `maxPayloadBytes`
   */
  maxResultBytes?: number;
  /**
   * The largest value `ctx.progress()` stores, in bytes of JSON; a larger one makes `ctx.progress()` throw
   * `PAYLOAD_TOO_LARGE` and is not stored. @defaultValue 65536
   */
  maxProgressBytes?: number;
  /**
   * This worker's id: every job it claims is tagged with it, so that after a claim whose reply was lost (the
   * connection dropped) the worker — or a `WorkerPool`, for a child that died — hands those jobs back at once
   * instead of one lease later. Must be unique among running workers: 1–200 characters, no whitespace, braces or
   * control characters. @defaultValue a random UUID
   */
  workerId?: string;
  /** Retention of finished jobs, written to Redis for the whole queue when given. @defaultValue the queue's */
  retention?: RetentionOptions;
  /**
   * Where the worker logs (errors with no `error` listener, with `queue`, `workerId`, `err`) and what `ctx.logger`
   * is built on. pino-compatible: pino, `console`, or `createLogger` of `@tq/connection`.
   * @defaultValue text lines on stderr (`createLogger("worker")`)
   */
  logger?: Logger;
  /**
   * The longest an idle worker blocks on Redis in one call, in milliseconds. Idle workers wake at once when work
   * arrives; this only bounds how long a lost wake-up could go unnoticed. From 10 to 2³¹−1. @defaultValue 5_000
   */
  maxBlockMs?: number;
}

/**
 * The value of each {@link WorkerOptions} field that is not given. `maxResultBytes` defaults to `maxPayloadBytes`,
 * `workerId` to a random UUID, `logger` to `createLogger("worker")`; `connection` and `retention` have no value here.
 */
export const WORKER_DEFAULTS = {
  prefix: DEFAULT_PREFIX,
  concurrency: 1,
  leaseMs: 30_000,
  shutdownTimeoutMs: 30_000,
  maxPayloadBytes: DEFAULT_MAX_PAYLOAD_BYTES,
  maxProgressBytes: 64 * 1024,
  maxBlockMs: 5_000,
} as const;

/**
 * Every {@link WorkerOptions} field with its value decided and checked. Plain data except `connection` (which may be
 * a client) and `logger`; still a valid `WorkerOptions`, so resolving it again gives the same values.
 */
export interface ResolvedWorkerOptions extends Required<Omit<WorkerOptions, "connection" | "retention">> {
  /** The queue the worker consumes. */
  queue: string;
  connection: ConnectionOption | undefined;
  retention: RetentionOptions | undefined;
}

function positiveBytes(value: unknown, name: string): number {
  if (typeof value !== "number" || !Number.isInteger(value) || value < 1) {
    throw new TqError(
      "VALIDATION",
      `${name} must be a positive integer number of bytes, got ${String(value)}`,
    );
  }
  return value;
}

/** Applies {@link WORKER_DEFAULTS} and checks every option; throws `VALIDATION` naming the first bad one. */
export function resolveWorkerOptions(queue: string, options: WorkerOptions = {}): ResolvedWorkerOptions {
  checkQueueName(queue);
  const concurrency = options.concurrency ?? WORKER_DEFAULTS.concurrency;
  if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > 10_000) {
    throw new TqError(
      "VALIDATION",
      `concurrency must be an integer from 1 to 10000, got ${String(options.concurrency)}`,
    );
  }
  // Each becomes a timer: a value over 2³¹−1 ms would fire after 1 ms (leaseMs: 7e9 renewed leases 800 times a second).
  const leaseMs = checkTimerMs(options.leaseMs ?? WORKER_DEFAULTS.leaseMs, "leaseMs", { min: 100 }) as number;
  const shutdownTimeoutMs = checkTimerMs(
    options.shutdownTimeoutMs ?? WORKER_DEFAULTS.shutdownTimeoutMs,
    "shutdownTimeoutMs",
  ) as number;
  const maxBlockMs = checkTimerMs(options.maxBlockMs ?? WORKER_DEFAULTS.maxBlockMs, "maxBlockMs", {
    min: 10,
  }) as number;
  const maxPayloadBytes = options.maxPayloadBytes ?? WORKER_DEFAULTS.maxPayloadBytes;
  const maxResultBytes = positiveBytes(options.maxResultBytes ?? maxPayloadBytes, "maxResultBytes");
  const maxProgressBytes = positiveBytes(
    options.maxProgressBytes ?? WORKER_DEFAULTS.maxProgressBytes,
    "maxProgressBytes",
  );
  const workerId = options.workerId ?? randomUUID();
  if (!isValidJobId(workerId)) {
    throw new TqError(
      "VALIDATION",
      `workerId must be 1-200 characters without whitespace, braces or control characters, got ${quote(workerId)}`,
    );
  }
  if (options.retention) retentionFields(options.retention);
  return {
    queue,
    connection: options.connection,
    prefix: checkPrefix(options.prefix ?? WORKER_DEFAULTS.prefix),
    concurrency,
    leaseMs: Math.round(leaseMs),
    shutdownTimeoutMs,
    maxPayloadBytes,
    maxResultBytes,
    maxProgressBytes,
    maxBlockMs,
    workerId,
    retention: options.retention,
    logger: options.logger ?? createLogger("worker"),
  };
}
