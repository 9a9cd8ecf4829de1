import { type ChildProcess, fork } from "node:child_process";
import { randomUUID } from "node:crypto";
import { EventEmitter } from "node:events";
import { existsSync } from "node:fs";
import { availableParallelism } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type { ConnectionOption, RetentionOptions } from "@tq/client";
import { RedisConnection, toTqError } from "@tq/connection";
import { checkTimerMs, isTqErrorCode, MAX_TIMER_MS, quote, TqError, type TqErrorCode } from "@tq/job-schema";
import { checkPrefix, isValidQueueName, type QueueKeys, queueKeys, retentionFields } from "@tq/protocol";
import type { Logger } from "./handlers.js";
import { resolveHandlersModule } from "./load-handlers.js";
import { childConnection } from "./pool-connection.js";
import type { ChildConfig, ToChild } from "./pool-protocol.js";
import { describeForeignMessage, HEARTBEAT_MS, parseFromChild } from "./pool-protocol.js";
import {
  failLostRuns,
  type LostRun,
  type LostRunOutcome,
  recoverClaims,
  releaseRuns,
} from "./run-accounting.js";

/**
 * Options for {@link WorkerPool}. Every duration is in milliseconds and at most `MAX_TIMER_MS` (2³¹−1 ms, about
 * 24.8 days, the longest a Node.js timer can wait); the constructor throws `VALIDATION` for any other value.
 */
export interface WorkerPoolOptions {
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
  /** How many jobs run at once in each child. @defaultValue 1 */
  concurrency?: number;
  /**
   * Where Redis is: a URL or client options (each child opens its own connections), or a node-redis client, from
   * which the children take the URL and socket options it was created with (the pool itself uses the client as is
   * and never closes it). A cluster client cannot be passed to children.
   * @defaultValue `process.env.REDIS_URL ?? "redis://127.0.0.1:6379"`
   */
  connection?: ConnectionOption;
  /**
   * The key prefix; must match the producers'. 1–100 characters without braces, whitespace or control characters
   * (checked by the constructor, `VALIDATION` otherwise). @defaultValue "tq"
   */
  prefix?: string;
  /** A claimed job's lease, in milliseconds, renewed by its child every `leaseMs / 3`. @defaultValue 30_000 */
  leaseMs?: number;
  /**
   * How long `close()` lets running jobs finish, in milliseconds. Children hand back what is still running after
   * that; a child that has not exited 5 s later is killed and its runs are handed back by the pool.
   * @defaultValue 30_000
   */
  shutdownTimeoutMs?: number;
  /** The longest a stored job may be, in bytes. @defaultValue 524288 */
  maxPayloadBytes?: number;
  /** The longest a handler's result may be, in bytes of JSON; see `WorkerOptions.maxResultBytes`. @defaultValue `maxPayloadBytes` */
  maxResultBytes?: number;
  /** The longest a progress value may be, in bytes of JSON; see `WorkerOptions.maxProgressBytes`. @defaultValue 65536 */
  maxProgressBytes?: number;
  /** The longest an idle child blocks on Redis in one call, in milliseconds. @defaultValue 5_000 */
  maxBlockMs?: number;
  /** Retention of finished jobs, written to Redis for the whole queue when given. */
  retention?: RetentionOptions;
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
  /** Where the pool writes its log lines (children log to the inherited stdout/stderr). @defaultValue `console` */
  logger?: Logger;
}

/** Options for {@link WorkerPool.close}. */
export interface PoolCloseOptions {
  /**
   * Overrides `shutdownTimeoutMs` for this call, in milliseconds (at most `MAX_TIMER_MS`, about 24.8 days; NaN or
   * `Infinity` make `close()` reject with `VALIDATION`). `0` (or less) kills the children now and hands their runs
   * back. A second call with a shorter timeout brings the deadline forward.
   */
  timeoutMs?: number;
}

/** A child process of the pool. */
export interface PoolChild {
  /** The child's slot, 0 to `processes - 1`; a replacement takes the slot of the child it replaces. */
  index: number;
  pid: number;
}

/** Why a child ended. */
export type PoolExitReason =
  /** It died on its own: crash, `process.exit()` in a handler, OOM kill, a signal from outside. */
  | "crashed"
  /** The pool killed it because a handler overran its `timeoutMs` without yielding. */
  | "timeout"
  /**
   * The pool killed it because its event loop had been blocked for longer than `leaseMs` (no heartbeat), so it
   * could no longer renew its leases: a handler that never yields, on a job without `timeoutMs`.
   */
  | "unresponsive"
  /** It could not start (handlers module, Redis). */
  | "start-failed"
  /** It stopped cleanly (on `close()`, or on a SIGTERM/SIGINT sent to it). */
  | "stopped"
  /** The pool killed it because it had not stopped by the end of the shutdown grace. */
  | "shutdown-timeout";

/** What the pool did with one run of a child that ended. */
export interface PoolExitRun {
  id: string;
  /** `retrying`/`failed`: recorded as a failed run; `released`: handed back uncounted; `unchanged`: already over. */
  outcome: LostRunOutcome | "released";
}

/** A child process ended. */
export interface PoolChildExit extends PoolChild {
  code: number | null;
  signal: NodeJS.Signals | null;
  reason: PoolExitReason;
  /** The runs it held when it ended. */
  runs: PoolExitRun[];
  /** When the replacement starts, in milliseconds from now; `undefined` when there is none (the pool is closing). */
  restartInMs: number | undefined;
  /** The child's own error, for `start-failed`. */
  error?: TqError;
}

/** Events a {@link WorkerPool} emits. */
export interface WorkerPoolEvents {
  /** Every child is consuming (once, at `start()`). */
  ready: [];
  /** A child is consuming (at start and after each restart). */
  online: [child: PoolChild];
  /** A child process ended; `reason` and `code`/`signal` say why. */
  exit: [exit: PoolChildExit];
  /** Something went wrong in the pool (a child could not start, Redis refused to record a lost run). */
  error: [error: TqError];
  /** The pool has stopped: every child has exited. */
  closed: [];
}

interface TrackedRun {
  token: string;
  task: string | undefined;
  timeoutMs: number | undefined;
  retryDelayMs: number;
  timer: NodeJS.Timeout | undefined;
  overran: boolean;
}

interface Child {
  slot: Slot;
  proc: ChildProcess;
  pid: number;
  /** The id its Worker tags claims with, so the pool can hand back claims the child took with it when it died. */
  workerId: string;
  /** The channel key this child puts in every message it sends: what lacks it is not the pool's (a handler's own). */
  key: string;
  /** Whether a message that is not the pool's has been logged for this child (once per child). */
  foreignLogged: boolean;
  state: "starting" | "ready" | "stopping" | "exited";
  readyAt: number | undefined;
  /** When the child last sent anything (it sends a heartbeat every second while its event loop turns). */
  lastSeenAt: number;
  runs: Map<string, TrackedRun>;
  killReason: "timeout" | "unresponsive" | "shutdown" | undefined;
  closedCleanly: boolean;
  fatal: TqError | undefined;
  onReady: ((error?: TqError) => void) | undefined;
  exited: Promise<void>;
}

interface Slot {
  index: number;
  child: Child | undefined;
  /** Deaths in a row, each soon after the previous restart. */
  crashes: number;
  restartTimer: NodeJS.Timeout | undefined;
}

/** How long past the shutdown timeout a child may take to exit before it is killed, in milliseconds. */
const STOP_MARGIN_MS = 5_000;

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** The compiled child entry: beside this file in `dist/`, or in `dist/` when this file runs from `src/`. */
function childEntry(): string {
  const here = typeof __filename === "string" ? dirname(__filename) : dirname(fileURLToPath(import.meta.url));
  const candidates = [join(here, "pool-child.js"), join(here, "..", "dist", "pool-child.js")];
  const found = candidates.find((path) => existsSync(path));
  if (!found) {
    throw new TqError(
      "VALIDATION",
      `WorkerPool cannot find its child entry (looked for ${candidates.join(" and ")}); build @tq/worker first`,
    );
  }
  return found;
}

function checkInteger(name: string, value: number | undefined, min: number, max: number): void {
  if (value === undefined) return;
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new TqError("VALIDATION", `${name} must be an integer from ${min} to ${max}, got ${String(value)}`);
  }
}

/** Checks a duration option that becomes a timer (see `checkTimerMs`); `undefined` means its default. */
function checkMs(name: string, value: number | undefined, min: number, allowInfinity = false): void {
  if (value !== undefined) checkTimerMs(value, name, { min, allowInfinity });
}

/** `base + margin` ms as a timer delay: capped at the longest delay a timer can wait. */
function withMargin(base: number, margin: number): number {
  return Math.min(base + margin, MAX_TIMER_MS);
}

function describeDeath(code: number | null, signal: NodeJS.Signals | null): string {
  return signal ? `signal ${signal}` : `exit code ${String(code)}`;
}

/**
 * A supervisor that runs a queue's jobs in `processes` child processes, each a {@link Worker} with `concurrency`
 * jobs in flight. A child that dies is replaced (with growing delays if it keeps dying), and the runs it held are
 * failed at once, so a job that kills every process running it ends in `failed` after its retries instead of
 * crashing the pool forever. A handler that overruns its job's `timeoutMs` without ever yielding (a busy loop, which
 * no in-process timer can interrupt) gets its process killed and the run fails with `TIMEOUT`.
 *
 * Per-process isolation is also what keeps CPU-bound handlers from hurting other jobs: a handler that blocks its
 * child's event loop stops that child from renewing its leases (and from acknowledging finished jobs), so its other
 * jobs can lose their leases if the block outlasts `leaseMs`; the other children are not affected. Give CPU-bound
 * tasks a `timeoutMs` well under `leaseMs`, and a low `concurrency`.
 *
 * @example
 * ```ts
 * const pool = new WorkerPool({
 *   queue: "emails",
 *   module: new URL("./tasks.js", import.meta.url), // export default { send_email: async ([to, subject]) => ... }
 *   processes: 4,
 *   concurrency: 10,
 * });
 * pool.on("exit", (exit) => console.warn(exit.pid, exit.reason, exit.signal ?? exit.code));
 * await pool.start();
 * process.once("SIGTERM", () => void pool.close());
 * ```
 */
export class WorkerPool extends EventEmitter<WorkerPoolEvents> {
  /** The queue the children consume. */
  readonly queue: string;
  /** The number of child processes. */
  readonly processes: number;
  readonly #options: WorkerPoolOptions;
  /** The queue name as it appears in messages. */
  readonly #quoted: string;
  readonly #keys: QueueKeys;
  readonly #config: ChildConfig;
  readonly #logger: Logger;
  readonly #graceMs: number;
  readonly #unresponsiveMs: number;
  readonly #shutdownTimeoutMs: number;
  readonly #slots: Slot[] = [];
  readonly #accounting = new Set<Promise<void>>();
  #entry: string | undefined;
  #redis: RedisConnection | undefined;
  #state: "new" | "starting" | "running" | "closing" | "closed" = "new";
  #starting: Promise<void> | undefined;
  #closing: Promise<void> | undefined;
  #stopDeadline = Number.POSITIVE_INFINITY;
  #stopTimer: NodeJS.Timeout | undefined;
  #aliveTimer: NodeJS.Timeout | undefined;

  constructor(options: WorkerPoolOptions) {
    super();
    const { queue } = options;
    if (!isValidQueueName(queue)) {
      throw new TqError(
        "VALIDATION",
        `queue name must be 1-200 characters of letters, digits and _ . : - (got ${quote(queue)})`,
      );
    }
    const prefix = checkPrefix(options.prefix);
    checkInteger("processes", options.processes, 1, 1024);
    checkInteger("concurrency", options.concurrency, 1, 10_000);
    checkMs("leaseMs", options.leaseMs, 100);
    checkMs("shutdownTimeoutMs", options.shutdownTimeoutMs, 0);
    checkMs("hardTimeoutGraceMs", options.hardTimeoutGraceMs, 0, true);
    checkMs("restartDelayMs", options.restartDelayMs, 0);
    checkMs("maxRestartDelayMs", options.maxRestartDelayMs, 0);
    checkMs("restartResetMs", options.restartResetMs, 0);
    checkMs("startTimeoutMs", options.startTimeoutMs, 1);
    checkMs("maxBlockMs", options.maxBlockMs, 0);
    if (options.retention) retentionFields(options.retention);
    this.queue = queue;
    this.#quoted = quote(queue);
    this.processes = options.processes ?? availableParallelism();
    this.#options = options;
    this.#keys = queueKeys(queue, prefix);
    this.#logger = options.logger ?? console;
    this.#graceMs = options.hardTimeoutGraceMs ?? 5_000;
    // A child silent for a whole lease has lost its leases anyway; never less than a few heartbeats.
    this.#unresponsiveMs = Math.max(options.leaseMs ?? 30_000, 3 * HEARTBEAT_MS);
    this.#shutdownTimeoutMs = options.shutdownTimeoutMs ?? 30_000;
    this.#config = {
      queue,
      moduleUrl: resolveHandlersModule(options.module),
      connection: childConnection(options.connection),
      prefix: options.prefix,
      concurrency: options.concurrency ?? 1,
      leaseMs: options.leaseMs,
      shutdownTimeoutMs: this.#shutdownTimeoutMs,
      maxPayloadBytes: options.maxPayloadBytes,
      maxResultBytes: options.maxResultBytes,
      maxProgressBytes: options.maxProgressBytes,
      maxBlockMs: options.maxBlockMs,
      retention: options.retention,
      supervisorPid: process.pid,
    };
    for (let index = 0; index < this.processes; index++) {
      this.#slots.push({ index, child: undefined, crashes: 0, restartTimer: undefined });
    }
  }

  /** The pids of the children alive now. */
  get pids(): number[] {
    const pids: number[] = [];
    for (const slot of this.#slots) {
      if (slot.child && slot.child.state !== "exited") pids.push(slot.child.pid);
    }
    return pids;
  }

  /** Whether every child has started and the pool is not closing. */
  get isRunning(): boolean {
    return this.#state === "running";
  }

  /**
   * Starts the children. Resolves once every child is consuming; rejects (and stops the children it started) if
   * one cannot start: `VALIDATION` for a handlers module that cannot be loaded, `CONNECTION` when Redis cannot be
   * reached, `TIMEOUT` after `startTimeoutMs`.
   */
  start(): Promise<void> {
    if (this.#state === "new") {
      this.#state = "starting";
      this.#starting = this.#start();
      return this.#starting;
    }
    if (this.#state === "starting" || this.#state === "running") return this.#starting ?? Promise.resolve();
    return Promise.reject(
      new TqError("CLOSED", `worker pool for queue ${this.#quoted} is closed; create a new one`),
    );
  }

  async #start(): Promise<void> {
    try {
      this.#entry = childEntry();
      this.#redis = await RedisConnection.open(this.#options.connection, { onError: () => {} });
      await Promise.all(this.#slots.map((slot) => this.#spawn(slot)));
    } catch (error) {
      const failure = toTqError(error, `worker pool for queue ${this.#quoted}: cannot start`);
      this.#state = "closing";
      await this.#stopChildren(0);
      await this.#redis?.close();
      this.#redis = undefined;
      this.#state = "closed";
      throw failure;
    }
    this.#aliveTimer = setInterval(() => this.#checkAlive(), HEARTBEAT_MS);
    this.#aliveTimer.unref();
    // close() may have been called while starting; it waits for this promise and takes over.
    if (this.#state === "starting") {
      this.#state = "running";
      this.emit("ready");
    }
  }

  // ---- children ---------------------------------------------------------------------------------------------------

  /** Forks the child of a slot. The promise settles when it is consuming, or fails to. */
  #spawn(slot: Slot): Promise<void> {
    slot.restartTimer = undefined;
    const entry = this.#entry;
    if (!entry) return Promise.reject(new TqError("CLOSED", "worker pool is not started"));
    const proc = fork(entry, [], {
      execArgv: this.#options.execArgv ?? process.execArgv,
      env: this.#options.env ?? process.env,
      stdio: ["ignore", "inherit", "inherit", "ipc"],
      serialization: "advanced",
    });
    let markExited: () => void = () => {};
    const child: Child = {
      slot,
      proc,
      pid: proc.pid ?? -1,
      workerId: randomUUID(),
      key: randomUUID(),
      foreignLogged: false,
      state: "starting",
      readyAt: undefined,
      lastSeenAt: Date.now(),
      runs: new Map(),
      killReason: undefined,
      closedCleanly: false,
      fatal: undefined,
      onReady: undefined,
      exited: new Promise<void>((resolve) => {
        markExited = resolve;
      }),
    };
    slot.child = child;
    const ready = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        child.onReady?.(
          new TqError(
            "TIMEOUT",
            `worker pool for queue ${this.#quoted}: child process ${child.pid} did not start consuming within ${this.#options.startTimeoutMs ?? 60_000} ms`,
          ),
        );
        proc.kill("SIGKILL");
      }, this.#options.startTimeoutMs ?? 60_000);
      child.onReady = (error) => {
        clearTimeout(timer);
        child.onReady = undefined;
        if (error) reject(error);
        else resolve();
      };
    });
    proc.on("message", (message: unknown) => this.#onMessage(child, message));
    let done = false;
    const finish = (code: number | null, signal: NodeJS.Signals | null) => {
      if (done) return;
      done = true;
      child.state = "exited";
      const accounting = this.#onExit(child, code, signal)
        .catch((error: unknown) => {
          // an "exit" listener threw: the pool itself goes on
          this.#logger.error(
            `[tq pool ${this.#quoted}] handling the exit of worker process ${child.pid} failed:`,
            error,
          );
        })
        .finally(() => {
          this.#accounting.delete(accounting);
          markExited();
        });
      this.#accounting.add(accounting);
    };
    // "close" comes after "exit" and after the IPC channel is drained: every message the child sent has been seen.
    proc.on("close", finish);
    proc.on("error", (error) => {
      this.#reportError(
        toTqError(error, `worker pool for queue ${this.#quoted}: child process ${child.pid} failed`),
      );
      if (proc.pid === undefined) finish(null, null);
    });
    this.#sendTo(child, {
      t: "start",
      config: { ...this.#config, workerId: child.workerId },
      key: child.key,
    });
    return ready;
  }

  #sendTo(child: Child, message: ToChild): void {
    if (!child.proc.connected) return;
    try {
      // A child that is already gone is handled on "close"; a failed send changes nothing.
      child.proc.send(message, () => {});
    } catch {
      // same
    }
  }

  #onMessage(child: Child, received: unknown): void {
    const message = parseFromChild(received, child.key);
    if (!message) {
      // Handler code may use the IPC channel too (process.send): what is not the pool's is ignored, and said once.
      if (!child.foreignLogged) {
        child.foreignLogged = true;
        this.#logger.warn(
          `[tq pool ${this.#quoted}] worker process ${child.pid} sent an IPC message that is not the pool's, ignored (is a handler calling process.send()?): ${quote(describeForeignMessage(received))}; further ones from this process are ignored without a log line`,
        );
      }
      return;
    }
    child.lastSeenAt = Date.now();
    switch (message.t) {
      case "claimed": {
        const runs = message.runs;
        for (let i = 0; i + 1 < runs.length; i += 2) {
          const id = runs[i] as string;
          const previous = child.runs.get(id);
          if (previous) clearTimeout(previous.timer);
          child.runs.set(id, {
            token: runs[i + 1] as string,
            task: undefined,
            timeoutMs: undefined,
            retryDelayMs: 0,
            timer: undefined,
            overran: false,
          });
        }
        break;
      }
      case "active": {
        const run = child.runs.get(message.id);
        if (!run || run.token !== message.token) break;
        run.task = message.task;
        run.timeoutMs = message.timeoutMs;
        run.retryDelayMs = message.retryDelayMs;
        // Beyond setTimeout's range (about 24.8 days) the hard timeout is not enforced.
        if (message.timeoutMs + this.#graceMs <= MAX_TIMER_MS) {
          run.timer = setTimeout(
            () => this.#onOverrun(child, message.id, message.token),
            message.timeoutMs + this.#graceMs,
          );
        }
        break;
      }
      case "settled": {
        // The child's Worker has ended these runs itself (a result, an error, its own timeout): their handlers
        // yielded, so the hard timeout no longer applies, however long the outcome takes to reach Redis.
        const runs = message.runs;
        for (let i = 0; i + 1 < runs.length; i += 2) {
          const run = child.runs.get(runs[i] as string);
          if (run && run.token === runs[i + 1]) {
            clearTimeout(run.timer);
            run.timer = undefined;
          }
        }
        break;
      }
      case "ended": {
        const runs = message.runs;
        for (let i = 0; i + 1 < runs.length; i += 2) {
          const id = runs[i] as string;
          const run = child.runs.get(id);
          if (run && run.token === runs[i + 1]) {
            clearTimeout(run.timer);
            child.runs.delete(id);
          }
        }
        break;
      }
      case "ready": {
        child.state = child.state === "starting" ? "ready" : child.state;
        child.readyAt = Date.now();
        child.onReady?.();
        this.emit("online", { index: child.slot.index, pid: child.pid });
        break;
      }
      case "fatal": {
        const code: TqErrorCode = isTqErrorCode(message.code) ? message.code : "HANDLER";
        child.fatal = new TqError(
          code,
          `worker pool for queue ${this.#quoted}: child process ${child.pid} could not start: ${message.message}`,
        );
        break;
      }
      case "closed":
        child.closedCleanly = true;
        break;
      case "alive":
        break;
    }
  }

  /**
   * Kills children whose event loop has been blocked for longer than a lease: their leases are lost by now, and a
   * child that never turns its loop again would hold its slot forever.
   */
  #checkAlive(): void {
    const now = Date.now();
    for (const slot of this.#slots) {
      const child = slot.child;
      if (!child || child.readyAt === undefined || child.state === "exited" || child.killReason) continue;
      const silentMs = now - child.lastSeenAt;
      if (silentMs <= this.#unresponsiveMs) continue;
      child.killReason = "unresponsive";
      this.#logger.warn(
        `[tq pool ${this.#quoted}] worker process ${child.pid} has not responded for ${silentMs} ms (its event loop is blocked, so its leases cannot be renewed); killing it (SIGKILL)`,
      );
      child.proc.kill("SIGKILL");
    }
  }

  /** A handler ran past its timeoutMs plus the grace without its child failing the run: kill the child. */
  #onOverrun(child: Child, id: string, token: string): void {
    const run = child.runs.get(id);
    if (!run || run.token !== token || child.state === "exited") return;
    run.overran = true;
    if (child.killReason) return;
    child.killReason = "timeout";
    this.#logger.warn(
      `[tq pool ${this.#quoted}] job ${quote(id)} (task ${quote(run.task ?? "?")}) ran past its timeoutMs of ${run.timeoutMs} ms (+${this.#graceMs} ms grace) without yielding; killing worker process ${child.pid} (SIGKILL)`,
    );
    child.proc.kill("SIGKILL");
  }

  /** A child ended: record what became of its runs, say why, and replace it. */
  async #onExit(child: Child, code: number | null, signal: NodeJS.Signals | null): Promise<void> {
    for (const run of child.runs.values()) clearTimeout(run.timer);
    const reason: PoolExitReason =
      child.killReason === "timeout" || child.killReason === "unresponsive"
        ? child.killReason
        : child.killReason === "shutdown"
          ? "shutdown-timeout"
          : child.closedCleanly
            ? "stopped"
            : child.readyAt === undefined
              ? "start-failed"
              : "crashed";
    const how = describeDeath(code, signal);
    const entries = [...child.runs.entries()];
    child.runs.clear();
    const lost: LostRun[] = [];
    const released: Array<{ id: string; token: string }> = [];
    for (const [id, run] of entries) {
      if ((reason === "timeout" || reason === "unresponsive") && run.overran) {
        lost.push({
          id,
          token: run.token,
          stalled: false,
          retryDelayMs: run.retryDelayMs,
          error: {
            name: "TqError",
            code: "TIMEOUT",
            message: `task ${quote(run.task ?? "?")} (job ${quote(id)}) ran past its timeoutMs of ${run.timeoutMs} ms without yielding; worker process ${child.pid} was killed (SIGKILL) ${this.#graceMs} ms later`,
          },
        });
      } else if (reason === "crashed" || reason === "start-failed" || reason === "unresponsive") {
        lost.push({
          id,
          token: run.token,
          stalled: true,
          retryDelayMs: 0,
          error: {
            name: "TqError",
            code: "LEASE_LOST",
            message:
              reason === "unresponsive"
                ? `worker process ${child.pid} stopped responding while running this job (its event loop was blocked for over ${this.#unresponsiveMs} ms, so its leases could not be renewed); it was killed (SIGKILL)`
                : `worker process ${child.pid} died (${how}) while running this job`,
          },
        });
      } else {
        // Not this run's fault (a neighbour overran, or shutdown): hand it back without counting the run.
        released.push({ id, token: run.token });
      }
    }
    const runs = await this.#account(child, lost, released);
    await this.#recoverClaims(child, [...lost, ...released]);

    let restartInMs: number | undefined;
    const slot = child.slot;
    if (slot.child === child) slot.child = undefined;
    // It never became ready: whoever waits for it (start(), or nobody for a replacement) hears why.
    child.onReady?.(
      child.fatal ??
        new TqError(
          "CONNECTION",
          `worker pool for queue ${this.#quoted}: child process ${child.pid} exited (${how}) before it started consuming`,
        ),
    );
    if (this.#state === "running") {
      restartInMs = this.#restartDelay(slot, child, reason);
      slot.restartTimer = setTimeout(() => {
        if (this.#state !== "running") return;
        this.#spawn(slot).catch(() => {
          // reported through its exit
        });
      }, restartInMs);
    }

    const exit: PoolChildExit = {
      index: slot.index,
      pid: child.pid,
      code,
      signal,
      reason,
      runs,
      restartInMs,
    };
    if (child.fatal) exit.error = child.fatal;
    // While starting, start() reports failures; while closing, clean stops are expected.
    if (this.#state === "running" || (this.#state === "closing" && reason !== "stopped")) {
      this.#logger.error(
        `[tq pool ${this.#quoted}] ${this.#describeExit(child, reason, how, runs, restartInMs)}`,
      );
    }
    if (child.fatal && this.#state === "running") this.#reportError(child.fatal);
    this.emit("exit", exit);
  }

  #describeExit(
    child: Child,
    reason: PoolExitReason,
    how: string,
    runs: readonly PoolExitRun[],
    restartInMs: number | undefined,
  ): string {
    const pid = `worker process ${child.pid}`;
    let what: string;
    switch (reason) {
      case "timeout":
        what = `${pid} was killed (${how}): a job overran its timeoutMs without yielding`;
        break;
      case "unresponsive":
        what = `${pid} was killed (${how}): its event loop was blocked for over ${this.#unresponsiveMs} ms`;
        break;
      case "shutdown-timeout":
        what = `${pid} was killed (${how}): it did not stop within the shutdown timeout`;
        break;
      case "start-failed":
        what = `${pid} exited (${how}) before it started consuming${child.fatal ? ` (${child.fatal.code})` : ""}`;
        break;
      case "stopped":
        what = `${pid} stopped (${how}) on a signal of its own`;
        break;
      default:
        what = `${pid} died (${how})`;
    }
    const held =
      runs.length === 0
        ? ""
        : `; its job${runs.length === 1 ? "" : "s"}: ${runs.map((r) => `${quote(r.id)} ${r.outcome}`).join(", ")}`;
    const next = restartInMs === undefined ? "" : `; restarting it in ${restartInMs} ms`;
    return `${what}${held}${next}`;
  }

  /** Applies the fate of a dead child's runs in Redis, retrying a few times if Redis does not answer. */
  async #account(
    child: Child,
    lost: LostRun[],
    released: Array<{ id: string; token: string }>,
  ): Promise<PoolExitRun[]> {
    const redis = this.#redis;
    const out: PoolExitRun[] = [];
    if (lost.length === 0 && released.length === 0) return out;
    for (let attempt = 1; ; attempt++) {
      try {
        if (!redis) throw new TqError("CLOSED", "the pool's Redis connection is closed");
        const [outcomes] = await Promise.all([
          failLostRuns(redis, this.#keys, lost),
          releaseRuns(redis, this.#keys, released),
        ]);
        for (const [i, run] of lost.entries()) out.push({ id: run.id, outcome: outcomes[i] ?? "unchanged" });
        for (const run of released) out.push({ id: run.id, outcome: "released" });
        return out;
      } catch (error) {
        if (attempt >= 5 || !redis) {
          this.#reportError(
            toTqError(
              error,
              `worker pool for queue ${this.#quoted}: recording the runs of worker process ${child.pid} failed (${[...lost, ...released].map((r) => quote(r.id)).join(", ")}); their leases will expire and they will be retried then`,
            ),
          );
          for (const run of [...lost, ...released]) out.push({ id: run.id, outcome: "unchanged" });
          return out;
        }
        await sleep(200 * attempt);
      }
    }
  }

  /** Hands back jobs the dead child had claimed but not yet reported (its claim reply was in flight when it died). */
  async #recoverClaims(child: Child, known: ReadonlyArray<{ id: string; token: string }>): Promise<void> {
    if (!this.#redis) return;
    try {
      await recoverClaims(this.#redis, this.#keys, child.workerId, known);
    } catch (error) {
      this.#reportError(
        toTqError(
          error,
          `worker pool for queue "${this.queue}": handing back the claims of worker process ${child.pid} failed; their leases will expire`,
        ),
      );
    }
  }

  /** 0 for a first death; then `restartDelayMs`, doubling per death in a row, up to `maxRestartDelayMs`. */
  #restartDelay(slot: Slot, child: Child, reason: PoolExitReason): number {
    // The pool's own kill for an overrun is not the child's instability.
    if (reason === "timeout") return 0;
    const upMs = child.readyAt === undefined ? 0 : Date.now() - child.readyAt;
    if (upMs >= (this.#options.restartResetMs ?? 30_000)) slot.crashes = 0;
    slot.crashes++;
    if (slot.crashes <= 1) return 0;
    const base = this.#options.restartDelayMs ?? 1_000;
    return Math.min(this.#options.maxRestartDelayMs ?? 30_000, base * 2 ** Math.min(slot.crashes - 2, 30));
  }

  #reportError(error: TqError): void {
    if (this.listenerCount("error") > 0) this.emit("error", error);
    else this.#logger.error(`[tq pool ${this.#quoted}] ${error.message}`);
  }

  // ---- shutdown ---------------------------------------------------------------------------------------------------

  /**
   * Stops the pool: every child stops claiming and lets its running jobs finish within `shutdownTimeoutMs`, then
   * hands back what is left and exits. A child still alive 5 s after that is killed and its runs are handed back by
   * the pool. Resolves once every child has exited.
   */
  close(options: PoolCloseOptions = {}): Promise<void> {
    let timeoutMs: number;
    try {
      const given = options.timeoutMs;
      // A negative timeout means "now", as 0 does; NaN, Infinity or a delay no timer can wait for are refused.
      timeoutMs =
        given === undefined
          ? this.#shutdownTimeoutMs
          : typeof given === "number" && given < 0
            ? 0
            : (checkTimerMs(given, "close() timeoutMs") as number);
    } catch (error) {
      return Promise.reject(error);
    }
    if (!this.#closing) {
      this.#closing = this.#close(timeoutMs);
    } else {
      this.#bringDeadlineForward(timeoutMs);
    }
    return this.#closing;
  }

  async #close(timeoutMs: number): Promise<void> {
    if (this.#state === "starting") {
      // Let the children finish starting (or failing to), then stop them like any others.
      await this.#starting?.catch(() => {});
    }
    if (this.#state === "new" || this.#state === "closed") {
      this.#state = "closed";
      this.emit("closed");
      return;
    }
    this.#state = "closing";
    await this.#stopChildren(timeoutMs);
    clearInterval(this.#aliveTimer);
    await this.#redis?.close();
    this.#redis = undefined;
    this.#state = "closed";
    this.emit("closed");
  }

  /** Asks every child to stop, kills those still alive at the deadline, and waits for all of them. */
  async #stopChildren(timeoutMs: number): Promise<void> {
    for (const slot of this.#slots) {
      clearTimeout(slot.restartTimer);
      slot.restartTimer = undefined;
      const child = slot.child;
      if (!child || child.state === "exited") continue;
      child.state = "stopping";
      this.#sendTo(child, { t: "close", timeoutMs });
    }
    this.#setStopDeadline(withMargin(timeoutMs, STOP_MARGIN_MS));
    const waits: Promise<void>[] = [];
    for (const slot of this.#slots) if (slot.child) waits.push(slot.child.exited);
    await Promise.all(waits);
    while (this.#accounting.size > 0) await Promise.all([...this.#accounting]);
    clearTimeout(this.#stopTimer);
  }

  #setStopDeadline(inMs: number): void {
    const deadline = Date.now() + inMs;
    if (deadline >= this.#stopDeadline) return;
    this.#stopDeadline = deadline;
    clearTimeout(this.#stopTimer);
    this.#stopTimer = setTimeout(() => this.#killRemaining(), inMs);
  }

  #bringDeadlineForward(timeoutMs: number): void {
    if (this.#state === "closed") return;
    if (timeoutMs === 0) this.#killRemaining();
    else this.#setStopDeadline(withMargin(timeoutMs, STOP_MARGIN_MS));
  }

  #killRemaining(): void {
    for (const slot of this.#slots) {
      const child = slot.child;
      if (!child || child.state === "exited") continue;
      child.killReason ??= "shutdown";
      child.proc.kill("SIGKILL");
    }
  }
}
