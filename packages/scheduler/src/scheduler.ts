import { EventEmitter } from "node:events";
import type { EnqueuedJob } from "@tq/client";
import { RedisConnection, reconnectDelayMs, toTqError, warnIfEvictingPolicy } from "@tq/connection";
import { type Task, type TaskArgsInput, TqError } from "@tq/job-schema";
import { queueKeys, registerQueue, type ScheduleKeys, scheduleKeys } from "@tq/protocol";
import { type DelayedJobOptions, prepareDelayedJob } from "./delayed-job.js";
import { QueueSweeps, type SweptEvent } from "./queue-sweeps.js";
import { enqueue, redisTime } from "./redis-calls.js";
import {
  checkScheduleName,
  resolveSchedule,
  type ScheduleInfo,
  type ScheduleTarget,
  type TaskScheduleTarget,
} from "./schedule-definition.js";
import { ScheduleStore } from "./schedule-store.js";
import {
  type ResolvedSchedulerOptions,
  resolveSchedulerOptions,
  type SchedulerOptions,
} from "./scheduler-options.js";
import { type FiredEvent, type MissedEvent, TickFiring } from "./tick-firing.js";
import type { ScheduleTiming } from "./timing.js";

/** Events a {@link Scheduler} emits. */
export interface SchedulerEvents {
  /** This scheduler enqueued the job of a schedule tick. */
  fired: [event: FiredEvent];
  /** Ticks were missed; see `MissedTickPolicy`. */
  missed: [event: MissedEvent];
  /** A sweep moved jobs. */
  swept: [event: SweptEvent];
  /** Something went wrong (connection, Redis, a broken stored schedule); the scheduler keeps going. */
  error: [error: Error];
  /** The scheduler is running. */
  ready: [];
  /** The scheduler has stopped. */
  closed: [];
}

/** How soon a pass runs again after the queue's Redis node said a tick is not due yet, in milliseconds. */
const NOT_DUE_RETRY_MS = 5;

/**
 * Runs the time-based side of tq: fires cron and interval schedules, promotes due delayed and retry jobs, and takes
 * back expired leases, so time-based work moves even when every worker is idle, busy or stopped. Any number of
 * schedulers may run at once: each schedule tick becomes exactly one job. Every decision uses the Redis clock.
 *
 * The parts: {@link ScheduleStore} keeps the schedules in Redis, {@link TickFiring} turns due ticks into jobs,
 * {@link QueueSweeps} sweeps the queues; this class owns the connection and runs the loop that drives both.
 *
 * @example
 * ```ts
 * const scheduler = new Scheduler({ connection: "redis://127.0.0.1:6379" });
 * await scheduler.upsertSchedule("nightly-report", { cron: "0 3 * * *", timezone: "Europe/Paris" },
 *   { queue: "reports", task: "generate_report", args: ["daily"] });
 * await scheduler.schedule("emails", "send_email", 60_000, ["user@example.com", "Delayed welcome"]);
 * await scheduler.start();
 * // ...
 * await scheduler.close();
 * ```
 */
export class Scheduler extends EventEmitter<SchedulerEvents> {
  /** The key prefix. */
  readonly prefix: string;
  readonly #options: ResolvedSchedulerOptions;
  readonly #keys: ScheduleKeys;
  readonly #store: ScheduleStore;
  readonly #firing: TickFiring;
  readonly #sweeps: QueueSweeps;
  readonly #registered = new Set<string>();
  #connection: Promise<RedisConnection> | undefined;
  #state: "idle" | "running" | "closing" | "closed" = "idle";
  #loop: Promise<void> | undefined;
  #sleepTimer: NodeJS.Timeout | undefined;
  #wake: (() => void) | undefined;
  #wakeRequested = false;
  #closing: Promise<void> | undefined;

  constructor(options: SchedulerOptions = {}) {
    super();
    const resolved = resolveSchedulerOptions(options);
    this.prefix = resolved.prefix;
    this.#options = resolved;
    this.#keys = scheduleKeys(resolved.prefix);
    this.#store = new ScheduleStore(this.#keys);
    const reportError = (error: Error) => this.#reportError(error);
    this.#firing = new TickFiring(resolved.prefix, this.#keys, this.#store, resolved.maxPayloadBytes, {
      fired: (event) => this.emit("fired", event),
      missed: (event) => this.emit("missed", event),
      error: reportError,
    });
    this.#sweeps = new QueueSweeps(resolved, {
      swept: (event) => this.emit("swept", event),
      error: reportError,
    });
  }

  /** Whether the scheduler loop is running. */
  get isRunning(): boolean {
    return this.#state === "running";
  }

  // ---- delayed jobs -------------------------------------------------------------------------------------------

  /**
   * Enqueues one job to run no earlier than `delayMs` milliseconds from now on the Redis clock (the original
   * tutorial's `schedule()`). Any worker of the queue runs it once it is due; a running scheduler also moves it
   * to pending on time when every worker is busy or stopped.
   *
   * Throws `VALIDATION` (bad queue, task, delay, args or options), `PAYLOAD_TOO_LARGE`, `CONNECTION`, `REDIS` or
   * `CLOSED`.
   */
  async schedule<T extends Task>(
    queue: string,
    task: T,
    delayMs: number,
    args: TaskArgsInput<T>,
    opts?: DelayedJobOptions,
  ): Promise<EnqueuedJob>;
  async schedule(
    queue: string,
    task: string,
    delayMs: number,
    args?: unknown,
    opts?: DelayedJobOptions,
  ): Promise<EnqueuedJob>;
  async schedule(
    queue: string,
    task: string | Task,
    delayMs: number,
    args?: unknown,
    opts?: DelayedJobOptions,
  ): Promise<EnqueuedJob> {
    const job = await prepareDelayedJob(queue, task, delayMs, args, opts, this.#options.maxPayloadBytes);
    const { created, duplicateOf } = await this.#call(`schedule() into queue "${queue}"`, async (c) => {
      await this.#register(c, queue);
      return enqueue(c, queueKeys(queue, this.prefix), { job });
    });
    if (created && this.#sweeps.noteNewWork(queue)) this.#wakeUp();
    return {
      id: duplicateOf ?? job.id,
      queue,
      task: job.task,
      created,
      duplicate: duplicateOf !== undefined,
    };
  }

  // ---- schedules ----------------------------------------------------------------------------------------------

  /**
   * Creates or replaces the schedule `name`: on each tick of `timing` one job of `target` is enqueued, with the id
   * `<name>:<tick ms>`. Stored in Redis, so it survives restarts and every scheduler instance sees it.
   *
   * Calling it again with the same timing keeps the schedule's next fire time (every process may call it at
   * start-up); a different timing starts over from now. Throws `VALIDATION` for a bad name, an invalid cron
   * expression, an unknown time zone, `everyMs <= 0`, a bad queue name or bad job options.
   */
  async upsertSchedule<T extends Task>(
    name: string,
    timing: ScheduleTiming,
    target: TaskScheduleTarget<T>,
  ): Promise<ScheduleInfo>;
  async upsertSchedule(name: string, timing: ScheduleTiming, target: ScheduleTarget): Promise<ScheduleInfo>;
  async upsertSchedule(name: string, timing: ScheduleTiming, target: ScheduleTarget): Promise<ScheduleInfo> {
    const spec = await resolveSchedule(name, timing, target, this.#options.maxPayloadBytes);
    return this.#call(`upsertSchedule("${name}")`, async (c) => {
      await this.#register(c, spec.queue);
      const { info, written } = await this.#store.upsert(c, name, spec);
      if (written) this.#wakeUp();
      return info;
    });
  }

  /** Removes the schedule `name`: it fires no more. Jobs it already enqueued stay. False when there was none. */
  async removeSchedule(name: string): Promise<boolean> {
    checkScheduleName(name);
    return this.#call(`removeSchedule("${name}")`, (c) => this.#store.remove(c, name));
  }

  /** Every schedule, by name. A stored definition that cannot be read is reported as an `error` event and left out. */
  async listSchedules(): Promise<ScheduleInfo[]> {
    return this.#call("listSchedules", (c) => this.#store.list(c, (error) => this.#reportError(error)));
  }

  /** One schedule, or null when there is none by that name. */
  async getSchedule(name: string): Promise<ScheduleInfo | null> {
    checkScheduleName(name);
    return this.#call(`getSchedule("${name}")`, (c) => this.#store.get(c, name));
  }

  // ---- the loop -----------------------------------------------------------------------------------------------

  /**
   * Connects and starts the loop: fire due schedule ticks, sweep the queues, sleep until the next thing is due
   * on the Redis clock (at most `maxIntervalMs`). Throws `CONNECTION` if Redis is unreachable, `CLOSED` after
   * `close()`.
   */
  async start(): Promise<void> {
    if (this.#state === "running") return;
    if (this.#state !== "idle")
      throw new TqError("CLOSED", "the scheduler is closed; create a new Scheduler");
    this.#state = "running";
    try {
      const c = await this.#conn();
      await Promise.all([
        redisTime(c, this.#keys.defs),
        warnIfEvictingPolicy(c, "scheduler", (warning) => this.#reportError(warning)),
      ]);
    } catch (error) {
      this.#state = "idle";
      throw toTqError(error, "scheduler: cannot start");
    }
    this.#loop = this.#run();
    this.emit("ready");
  }

  async #run(): Promise<void> {
    let failures = 0;
    while (this.#state === "running") {
      let waitMs: number;
      try {
        waitMs = await this.#pass(await this.#conn());
        failures = 0;
      } catch (error) {
        if (this.#state !== "running") break;
        failures++;
        this.#reportError(toTqError(error, "scheduler: a pass failed (retrying)"));
        waitMs = reconnectDelayMs(failures);
      }
      if (this.#state !== "running") break;
      await this.#sleep(waitMs);
    }
  }

  /** One pass: fire the due ticks, sweep the queues with due work. Returns how long to sleep, in milliseconds. */
  async #pass(c: RedisConnection): Promise<number> {
    const firing = await this.#firing.firePass(c);
    const redisNow = () => firing.nowMs + (performance.now() - firing.readAt);
    const sweepAgain = await this.#sweeps.sweepDue(c, redisNow);
    if (firing.again || sweepAgain || this.#state !== "running") return 0;
    let waitMs = firing.retrySoon ? NOT_DUE_RETRY_MS : this.#options.maxIntervalMs;
    waitMs = Math.min(waitMs, firing.nextTickAt - redisNow());
    waitMs = Math.min(waitMs, this.#sweeps.msUntilNext(redisNow));
    return Math.max(0, Math.ceil(waitMs));
  }

  #sleep(ms: number): Promise<void> {
    if (this.#wakeRequested) {
      this.#wakeRequested = false;
      return new Promise((resolve) => setImmediate(resolve));
    }
    if (ms <= 0) return new Promise((resolve) => setImmediate(resolve));
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(this.#sleepTimer);
        this.#sleepTimer = undefined;
        this.#wake = undefined;
        resolve();
      };
      this.#wake = done;
      this.#sleepTimer = setTimeout(done, ms);
    });
  }

  /** Ends the current sleep, so the loop looks at the schedules again (after a local upsert, or on close). */
  #wakeUp(): void {
    if (this.#wake) this.#wake();
    else if (this.#state === "running") this.#wakeRequested = true;
  }

  // ---- connection ---------------------------------------------------------------------------------------------

  async #conn(): Promise<RedisConnection> {
    if (this.#state === "closing" || this.#state === "closed") {
      throw new TqError("CLOSED", "the scheduler is closed; create a new Scheduler");
    }
    if (!this.#connection) {
      const opening = RedisConnection.open(this.#options.connection, { onError: () => {} });
      this.#connection = opening;
      opening.catch(() => {
        if (this.#connection === opening) this.#connection = undefined;
      });
    }
    return this.#connection;
  }

  async #call<T>(what: string, fn: (connection: RedisConnection) => Promise<T>): Promise<T> {
    const connection = await this.#conn();
    try {
      return await fn(connection);
    } catch (error) {
      throw toTqError(error, `scheduler: ${what}`);
    }
  }

  /**
   * Adds a queue to `<prefix>:queues` once per scheduler, so sweeps, dashboards and the CLI know it. Best effort:
   * a refusal (an ACL) is reported once and does not fail the call.
   */
  async #register(connection: RedisConnection, queue: string): Promise<void> {
    if (this.#registered.has(queue)) return;
    await registerQueue(connection, this.prefix, queue, (error) => this.#reportError(error), toTqError);
    this.#registered.add(queue);
  }

  #reportError(error: Error): void {
    if (this.listenerCount("error") > 0) this.emit("error", error);
    else this.#options.logger.error({ prefix: this.prefix, err: error }, error.message);
  }

  // ---- shutdown -----------------------------------------------------------------------------------------------

  /**
   * Stops the loop (a pass in flight finishes, for up to `closeTimeoutMs`) and closes the connection if tq created
   * it. Leaves no timer behind. Schedules stay in Redis; other schedulers keep firing them.
   */
  close(): Promise<void> {
    this.#closing ??= this.#close();
    return this.#closing;
  }

  async #close(): Promise<void> {
    this.#state = "closing";
    this.#wakeUp();
    const connection = this.#connection;
    if (this.#loop) {
      let timer: NodeJS.Timeout | undefined;
      const timedOut = await Promise.race([
        this.#loop.then(() => false),
        new Promise<boolean>((resolve) => {
          timer = setTimeout(() => resolve(true), this.#options.closeTimeoutMs);
        }),
      ]);
      clearTimeout(timer);
      if (timedOut) {
        (await connection?.catch(() => undefined))?.destroy();
        await this.#loop;
      }
    }
    this.#connection = undefined;
    try {
      await (await connection)?.close();
    } catch {
      // it never opened
    }
    this.#state = "closed";
    this.emit("closed");
  }
}
