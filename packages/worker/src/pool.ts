import { EventEmitter } from "node:events";
import { RedisConnection, toTqError, withFields } from "@tq/connection";
import { checkTimerMs, MAX_TIMER_MS, quote, TqError } from "@tq/job-schema";
import { queueKeys } from "@tq/protocol";
import { ChildHandle, childEntry } from "./pool-child-handle.js";
import type { PoolChildExit, WorkerPoolEvents } from "./pool-events.js";
import { describeDeath, ExitAccounting, exitReason } from "./pool-exit.js";
import { type ChildHealth, PoolHealthServer } from "./pool-health-server.js";
import { PoolMetrics } from "./pool-metrics.js";
import { type ResolvedPoolOptions, resolvePoolOptions, type WorkerPoolOptions } from "./pool-options.js";
import { HEARTBEAT_MS } from "./pool-protocol.js";
import { RestartBackoff } from "./pool-restart-backoff.js";

/** Options for {@link WorkerPool.close}. */
export interface PoolCloseOptions {
  /**
   * Overrides `shutdownTimeoutMs` for this call, in milliseconds (at most `MAX_TIMER_MS`, about 24.8 days; NaN or
   * `Infinity` make `close()` reject with `VALIDATION`). `0` (or less) kills the children now and hands their runs
   * back. A second call with a shorter timeout brings the deadline forward.
   */
  timeoutMs?: number;
}

/** One place in the pool: the child running in it now, and the restarts of the children it had. */
interface Slot {
  index: number;
  child: ChildHandle | undefined;
  backoff: RestartBackoff;
  restartTimer: NodeJS.Timeout | undefined;
}

/** How long past the shutdown timeout a child may take to exit before it is killed, in milliseconds. */
const STOP_MARGIN_MS = 5_000;

/** `base + margin` ms as a timer delay: capped at the longest delay a timer can wait. */
function withMargin(base: number, margin: number): number {
  return Math.min(base + margin, MAX_TIMER_MS);
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
  readonly #options: ResolvedPoolOptions;
  /** The queue name as it appears in messages. */
  readonly #quoted: string;
  readonly #unresponsiveMs: number;
  readonly #exits: ExitAccounting;
  readonly #slots: Slot[] = [];
  /** Exits being handled (their runs recorded in Redis). */
  readonly #accounting = new Set<Promise<void>>();
  #entry: string | undefined;
  #redis: RedisConnection | undefined;
  #state: "new" | "starting" | "running" | "closing" | "closed" = "new";
  #starting: Promise<void> | undefined;
  #closing: Promise<void> | undefined;
  #stopDeadline = Number.POSITIVE_INFINITY;
  #stopTimer: NodeJS.Timeout | undefined;
  #aliveTimer: NodeJS.Timeout | undefined;
  #health: PoolHealthServer | undefined;
  #healthPort: number | undefined;
  /** The `/metrics` server when it has a port of its own (else `/metrics` is on {@link #health}). */
  #metricsServer: PoolHealthServer | undefined;
  #metrics: PoolMetrics | undefined;
  #metricsPort: number | undefined;

  constructor(options: WorkerPoolOptions) {
    super();
    const resolved = resolvePoolOptions(options);
    const { queue, prefix, leaseMs } = resolved.worker;
    this.queue = queue;
    this.processes = resolved.processes;
    this.#options = resolved;
    this.#quoted = quote(queue);
    // A child silent for a whole lease has lost its leases anyway; never less than a few heartbeats.
    this.#unresponsiveMs = Math.max(leaseMs, 3 * HEARTBEAT_MS);
    this.#exits = new ExitAccounting({
      keys: queueKeys(queue, prefix),
      quoted: this.#quoted,
      hardTimeoutGraceMs: resolved.hardTimeoutGraceMs,
      unresponsiveMs: this.#unresponsiveMs,
      connection: () => this.#redis,
      reportError: (error) => this.#reportError(error),
    });
    for (let index = 0; index < this.processes; index++) {
      this.#slots.push({
        index,
        child: undefined,
        backoff: new RestartBackoff(resolved),
        restartTimer: undefined,
      });
    }
  }

  /** The pids of the children alive now. */
  get pids(): number[] {
    const pids: number[] = [];
    for (const slot of this.#slots) {
      if (slot.child?.isAlive) pids.push(slot.child.pid);
    }
    return pids;
  }

  /** The port `/healthz` listens on once `start()` has resolved (with `healthPort: 0`, the one picked); else undefined. */
  get healthPort(): number | undefined {
    return this.#healthPort;
  }

  /**
   * The port `/metrics` listens on once `start()` has resolved (with `metricsPort: 0`, the one picked); else
   * undefined.
   */
  get metricsPort(): number | undefined {
    return this.#metricsPort;
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
      const { healthPort, healthHost, metricsPort, metricsHost } = this.#options;
      let scrape: (() => ReturnType<PoolMetrics["scrape"]>) | undefined;
      if (metricsPort !== undefined) {
        // a pool without /metrics never loads prom-client
        const metrics = await PoolMetrics.create({
          connection: this.#redis.client,
          prefix: this.#options.worker.prefix,
          queue: this.queue,
          children: () => this.#liveChildren(),
        });
        this.#metrics = metrics;
        scrape = () => metrics.scrape();
      }
      const shared = metricsPort !== undefined && metricsPort === healthPort;
      if (healthPort !== undefined) {
        this.#health = new PoolHealthServer(() => this.#childHealth(), shared ? scrape : undefined);
        this.#healthPort = await this.#health.listen(healthPort, healthHost);
        if (shared) this.#metricsPort = this.#healthPort;
      }
      if (metricsPort !== undefined && !shared) {
        this.#metricsServer = new PoolHealthServer(undefined, scrape);
        this.#metricsPort = await this.#metricsServer.listen(metricsPort, metricsHost);
      }
      await Promise.all(this.#slots.map((slot) => this.#spawn(slot)));
    } catch (error) {
      const failure = toTqError(error, `worker pool for queue ${this.#quoted}: cannot start`);
      this.#state = "closing";
      await this.#stopChildren(0);
      await this.#closeServers();
      await this.#redis?.close();
      this.#redis = undefined;
      this.#state = "closed";
      throw failure;
    }
    this.#aliveTimer = setInterval(() => {
      const now = Date.now();
      for (const slot of this.#slots) slot.child?.checkHeartbeat(now);
    }, HEARTBEAT_MS);
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
    const { worker, moduleUrl } = this.#options;
    const child = new ChildHandle({
      index: slot.index,
      entry,
      execArgv: this.#options.execArgv,
      env: this.#options.env,
      config: (workerId) => ({
        worker: { ...worker, workerId },
        moduleUrl,
        supervisorPid: process.pid,
        metrics: this.#options.metricsPort !== undefined,
      }),
      startTimeoutMs: this.#options.startTimeoutMs,
      hardTimeoutGraceMs: this.#options.hardTimeoutGraceMs,
      unresponsiveMs: this.#unresponsiveMs,
      logger: withFields(this.#options.logger, { queue: this.queue }),
      quoted: this.#quoted,
      onReady: (ready) => this.emit("online", { index: ready.index, pid: ready.pid }),
      onClose: (ended, code, signal) => this.#trackExit(slot, ended, code, signal),
      onError: (error) => this.#reportError(error),
    });
    slot.child = child;
    return child.ready;
  }

  /** Handles a child's end, and keeps the promise until it is done so that `close()` can wait for it. */
  #trackExit(
    slot: Slot,
    child: ChildHandle,
    code: number | null,
    signal: NodeJS.Signals | null,
  ): Promise<void> {
    const accounting = this.#onExit(slot, child, code, signal)
      .catch((error: unknown) => {
        // an "exit" listener threw: the pool itself goes on
        this.#options.logger.error(
          { queue: this.queue, pid: child.pid, err: error },
          `handling the exit of worker process ${child.pid} failed`,
        );
      })
      .finally(() => {
        this.#accounting.delete(accounting);
      });
    this.#accounting.add(accounting);
    return accounting;
  }

  /** A child ended: record what became of its runs, say why, and replace it. */
  async #onExit(
    slot: Slot,
    child: ChildHandle,
    code: number | null,
    signal: NodeJS.Signals | null,
  ): Promise<void> {
    const reason = exitReason(child);
    const how = describeDeath(code, signal);
    const runs = await this.#exits.record(child, reason, how);

    let restartInMs: number | undefined;
    if (slot.child === child) slot.child = undefined;
    // It never became ready: whoever waits for it (start(), or nobody for a replacement) hears why.
    child.rejectReady(
      child.fatal ??
        new TqError(
          "CONNECTION",
          `worker pool for queue ${this.#quoted}: child process ${child.pid} exited (${how}) before it started consuming`,
        ),
    );
    if (this.#state === "running") {
      const upMs = child.readyAt === undefined ? 0 : Date.now() - child.readyAt;
      restartInMs = slot.backoff.next(upMs, reason === "timeout");
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
      this.#options.logger.error(
        { queue: this.queue, pid: child.pid, reason },
        this.#exits.describe(child, reason, how, runs, restartInMs),
      );
    }
    if (child.fatal && this.#state === "running") this.#reportError(child.fatal);
    this.emit("exit", exit);
  }

  /** The children alive now, for `/metrics`. */
  #liveChildren(): ChildHandle[] {
    const children: ChildHandle[] = [];
    for (const slot of this.#slots) if (slot.child?.isAlive) children.push(slot.child);
    return children;
  }

  /** Closes the `/healthz` and `/metrics` servers and the metrics' reads. */
  async #closeServers(): Promise<void> {
    await Promise.all([this.#health?.close(), this.#metricsServer?.close()]);
    await this.#metrics?.close();
    this.#health = undefined;
    this.#healthPort = undefined;
    this.#metricsServer = undefined;
    this.#metrics = undefined;
    this.#metricsPort = undefined;
  }

  /** Each slot's child for `/healthz`; `undefined` while the pool is not running (starting, closing). */
  #childHealth(): ChildHealth[] | undefined {
    if (this.#state !== "running") return undefined;
    const now = Date.now();
    // a child silent for 3 heartbeats is not consuming (stopped, or its event loop is blocked)
    const silentMs = 3 * HEARTBEAT_MS;
    return this.#slots.map((slot) => ({
      index: slot.index,
      pid: slot.child?.pid ?? -1,
      problem: slot.child ? slot.child.healthProblem(now, silentMs) : "restarting",
    }));
  }

  #reportError(error: TqError): void {
    if (this.listenerCount("error") > 0) this.emit("error", error);
    else this.#options.logger.error({ queue: this.queue, err: error }, error.message);
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
          ? this.#options.worker.shutdownTimeoutMs
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
    await this.#closeServers();
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
      slot.child?.stop(timeoutMs);
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
      if (slot.child?.isAlive) slot.child.kill("shutdown");
    }
  }
}
