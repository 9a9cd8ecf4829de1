import { availableParallelism } from "node:os";
import type { ConnectionOption } from "@tq/client";
import { createLogger } from "@tq/connection";
import { checkTimerMs, TqError } from "@tq/job-schema";
import type { Logger } from "./handlers.js";
import { resolveHandlersModule } from "./load-handlers.js";
import { childConnection } from "./pool-connection.js";
import type { ChildWorkerOptions } from "./pool-protocol.js";
import { resolveWorkerOptions, type WorkerOptions } from "./worker-options.js";

/**
 * Options for {@link WorkerPool}: the {@link WorkerOptions} every child's Worker runs with (each child has its own
 * `workerId`), plus the pool's own. Every duration is in milliseconds and at most `MAX_TIMER_MS` (2³¹−1 ms, about
 * 24.8 days, the longest a Node.js timer can wait); the constructor throws `VALIDATION` for any other value.
 *
 * `shutdownTimeoutMs` is how long `close()` lets running jobs finish: children hand back what is still running
 * after that, and a child that has not exited 5 s later is killed and its runs are handed back by the pool.
 */
export interface WorkerPoolOptions extends Omit<WorkerOptions, "workerId"> {
  /** The queue every child consumes. */
  queue: string;
  /**
   * The handlers module each child imports: a path (relative to the current directory) or a URL, ESM or CommonJS.
   * Its default export, or a named `handlers` export, is the handlers object (task name → handler). It must be
   * runnable by plain Node (compiled JavaScript), unless `execArgv` adds a loader.
   */
  module: string | URL;
  /** How many child processes run, each with its own Worker. @defaultValue `os.availableParallelism()` */
  processes?: number;
  /**
   * Where Redis is: a URL or client options (each child opens its own connections), or a node-redis client, from
   * which the children take the URL and socket options it was created with (the pool itself uses the client as is
   * and never closes it). A cluster client cannot be passed to children.
   * @defaultValue `process.env.REDIS_URL ?? "redis://127.0.0.1:6379"`
   */
  connection?: ConnectionOption;
  /**
   * How long past a job's `timeoutMs` the pool waits, in milliseconds, before it kills (SIGKILL) a child whose
   * handler has not yielded. The run fails with `TIMEOUT` (and is retried if it has retries left); the child's
   * other runs are handed back without counting. `Infinity` turns the hard timeout off. Keep
   * `timeoutMs + hardTimeoutGraceMs` below `leaseMs`, or the lease expires first and the job is retried elsewhere
   * while the stuck child still runs it.
   * @defaultValue 5_000
   */
  hardTimeoutGraceMs?: number;
  /** The delay before restarting a child that died again soon after its last restart, in milliseconds; doubles each time. @defaultValue 1_000 */
  restartDelayMs?: number;
  /** The longest delay between restarts of a child that keeps dying, in milliseconds. @defaultValue 30_000 */
  maxRestartDelayMs?: number;
  /** How long a child must stay up, in milliseconds, for its restart delay to start over from zero. @defaultValue 30_000 */
  restartResetMs?: number;
  /** How long `start()` waits for every child to be consuming, in milliseconds. @defaultValue 60_000 */
  startTimeoutMs?: number;
  /** Node flags for the children (e.g. `["--max-old-space-size=512"]`). @defaultValue `process.execArgv` */
  execArgv?: string[];
  /** The children's environment. @defaultValue `process.env` */
  env?: NodeJS.ProcessEnv;
  /**
   * The port of the pool's health endpoint, `GET /healthz`: 200 while every child is consuming, 503 (with a JSON
   * body naming the children that are not) otherwise. `0` picks a free port (see `WorkerPool.healthPort`).
   * @defaultValue none: no health endpoint
   */
  healthPort?: number;
  /** The address the health endpoint listens on. @defaultValue "127.0.0.1" */
  healthHost?: string;
  /**
   * The port of the pool's Prometheus endpoint, `GET /metrics` (see `@tq/metrics`): the queue's series read from
   * Redis, and the wait and run time histograms of every child, merged. The same port as `healthPort` serves both
   * paths from one server (then `metricsHost` must equal `healthHost`). `0` picks a free port (see
   * `WorkerPool.metricsPort`). @defaultValue none: no metrics endpoint
   */
  metricsPort?: number;
  /** The address the metrics endpoint listens on. @defaultValue "127.0.0.1" */
  metricsHost?: string;
  /**
   * Where the pool writes its log lines (pino-compatible, with `queue`, `pid`, `err` fields). Children log to the
   * inherited stderr with `createLogger` of `@tq/connection`, in the format `TQ_LOG_FORMAT` names (`text` or `json`,
   * default `text`): their handlers' `ctx.logger` too. @defaultValue text lines on stderr (`createLogger("pool")`)
   */
  logger?: Logger;
}

/**
 * The value of each of the pool's own options that is not given (the worker options take theirs from
 * `WORKER_DEFAULTS`). `processes` defaults to `os.availableParallelism()`, `execArgv` to `process.execArgv`, `env` to
 * `process.env`, `logger` to `console`.
 */
export const POOL_DEFAULTS = {
  hardTimeoutGraceMs: 5_000,
  restartDelayMs: 1_000,
  maxRestartDelayMs: 30_000,
  restartResetMs: 30_000,
  startTimeoutMs: 60_000,
} as const;

/** The most child processes one pool runs. */
const MAX_PROCESSES = 1024;

/** {@link WorkerPoolOptions} with every value decided and checked. */
export interface ResolvedPoolOptions {
  /** What every child's Worker runs with; each child adds its own `workerId`. */
  worker: Omit<ChildWorkerOptions, "workerId">;
  /** The handlers module, as the URL the children import. */
  moduleUrl: string;
  /** The connection as given: the pool's own connection (recording lost runs) uses it as is. */
  connection: ConnectionOption | undefined;
  processes: number;
  /** `Infinity` when the hard timeout is off. */
  hardTimeoutGraceMs: number;
  restartDelayMs: number;
  maxRestartDelayMs: number;
  restartResetMs: number;
  startTimeoutMs: number;
  execArgv: string[];
  env: NodeJS.ProcessEnv;
  logger: Logger;
  healthPort: number | undefined;
  healthHost: string;
  metricsPort: number | undefined;
  metricsHost: string;
}

/**
 * Applies {@link POOL_DEFAULTS} and checks every option, the worker options through `resolveWorkerOptions` (the
 * Worker's own check, so a child never refuses what the pool accepted). Throws `VALIDATION` naming the first bad
 * option: a duration no timer can wait for, a handlers module that does not exist, a connection a child cannot
 * receive.
 */
export function resolvePoolOptions(options: WorkerPoolOptions): ResolvedPoolOptions {
  const {
    queue,
    module,
    processes,
    hardTimeoutGraceMs,
    restartDelayMs,
    maxRestartDelayMs,
    restartResetMs,
    startTimeoutMs,
    execArgv,
    env,
    logger,
    healthPort,
    healthHost,
    metricsPort,
    metricsHost,
    ...workerOptions
  } = options;
  const {
    workerId: _perChild,
    logger: _console,
    connection,
    ...worker
  } = resolveWorkerOptions(queue, workerOptions);
  const count = processes ?? availableParallelism();
  if (!Number.isInteger(count) || count < 1 || count > MAX_PROCESSES) {
    throw new TqError(
      "VALIDATION",
      `processes must be an integer from 1 to ${MAX_PROCESSES}, got ${String(processes)}`,
    );
  }
  const grace = hardTimeoutGraceMs ?? POOL_DEFAULTS.hardTimeoutGraceMs;
  checkTimerMs(grace, "hardTimeoutGraceMs", { allowInfinity: true });
  if (healthPort !== undefined && (!Number.isInteger(healthPort) || healthPort < 0 || healthPort > 65_535)) {
    throw new TqError(
      "VALIDATION",
      `healthPort must be an integer from 0 to 65535, got ${String(healthPort)}`,
    );
  }
  if (healthHost !== undefined && (typeof healthHost !== "string" || healthHost.length === 0)) {
    throw new TqError("VALIDATION", `healthHost must be a host name or address, got ${String(healthHost)}`);
  }
  if (
    metricsPort !== undefined &&
    (!Number.isInteger(metricsPort) || metricsPort < 0 || metricsPort > 65_535)
  ) {
    throw new TqError(
      "VALIDATION",
      `metricsPort must be an integer from 0 to 65535, got ${String(metricsPort)}`,
    );
  }
  if (metricsHost !== undefined && (typeof metricsHost !== "string" || metricsHost.length === 0)) {
    throw new TqError("VALIDATION", `metricsHost must be a host name or address, got ${String(metricsHost)}`);
  }
  const resolvedHealthHost = healthHost ?? "127.0.0.1";
  const resolvedMetricsHost = metricsHost ?? "127.0.0.1";
  if (metricsPort !== undefined && metricsPort === healthPort && resolvedMetricsHost !== resolvedHealthHost) {
    throw new TqError(
      "VALIDATION",
      `metricsPort equals healthPort (one server for /healthz and /metrics), so metricsHost (${resolvedMetricsHost}) must equal healthHost (${resolvedHealthHost})`,
    );
  }
  return {
    worker: { ...worker, connection: childConnection(connection) },
    moduleUrl: resolveHandlersModule(module),
    connection,
    processes: count,
    hardTimeoutGraceMs: grace,
    restartDelayMs: durationMs("restartDelayMs", restartDelayMs, 0),
    maxRestartDelayMs: durationMs("maxRestartDelayMs", maxRestartDelayMs, 0),
    restartResetMs: durationMs("restartResetMs", restartResetMs, 0),
    startTimeoutMs: durationMs("startTimeoutMs", startTimeoutMs, 1),
    execArgv: execArgv ?? process.execArgv,
    env: env ?? process.env,
    logger: logger ?? createLogger("pool"),
    healthPort,
    healthHost: resolvedHealthHost,
    metricsPort,
    metricsHost: resolvedMetricsHost,
  };
}

/** A duration option that becomes a timer (see `checkTimerMs`), or its default. */
function durationMs(name: keyof typeof POOL_DEFAULTS, value: number | undefined, min: number): number {
  return checkTimerMs(value ?? POOL_DEFAULTS[name], name, { min }) as number;
}
