import { randomUUID } from "node:crypto";
import { EventEmitter } from "node:events";
import type { ConnectionOption, EnqueuedJob } from "@tq/client";
import { RedisConnection, toTqError, warnIfEvictingPolicy } from "@tq/connection";
import {
  DEFAULT_MAX_PAYLOAD_BYTES,
  type JobOptions,
  type Task,
  type TaskArgsInput,
  TqError,
} from "@tq/job-schema";
import {
  advanceSchedules,
  checkQueueName,
  DEFAULT_PREFIX,
  dueSchedules,
  ENQUEUE_OUTCOME,
  enqueue,
  FIRE_OUTCOME,
  fire,
  isValidQueueName,
  prepareJob,
  queueKeys,
  queuesKey,
  registerQueue,
  removeSchedule,
  type ScheduleKeys,
  scheduleKeys,
  sweep,
  taskName,
  upsertSchedule,
  validateArgs,
} from "@tq/protocol";
import { mergedOptions } from "./prepare-job.js";
import {
  checkScheduleName,
  decodeSchedule,
  type ScheduleInfo,
  type ScheduleJobOptions,
  type ScheduleTarget,
  type StoredSchedule,
  sameSchedule,
  type TaskScheduleTarget,
} from "./schedule-definition.js";
import { probeQueue } from "./sweep-plan.js";
import {
  firstTick,
  type MissedTickPolicy,
  planTick,
  resolveTiming,
  type ScheduleTiming,
  sameTicks,
  type TickPlan,
} from "./timing.js";

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
}

/** Options of a job enqueued by {@link Scheduler.schedule}: a job's options, the delay aside. */
export type DelayedJobOptions = Omit<JobOptions, "delayMs" | "runAt">;

/** A schedule tick that this scheduler turned into a job. */
export interface FiredEvent {
  /** The schedule's name. */
  schedule: string;
  /** The tick, epoch ms on the Redis clock. */
  tickMs: number;
  /** The job's id: `<schedule>:<tickMs>`. */
  jobId: string;
  queue: string;
  task: string;
}

/** Ticks of a schedule that nobody fired on time (reported by the scheduler that moved the schedule on). */
export interface MissedEvent {
  schedule: string;
  /** The first missed tick, epoch ms. */
  tickMs: number;
  /** The policy applied. */
  policy: MissedTickPolicy;
  /** Whether one job was enqueued for the missed ticks (`fire-once`). */
  fired: boolean;
  /** The schedule's next fire time, epoch ms; null when it never fires again. */
  nextRunAt: number | null;
}

/** What one sweep of a queue moved (only reported when it moved something). */
export interface SweptEvent {
  queue: string;
  /** Due delayed and retry jobs moved to pending. */
  promoted: number;
  /** Jobs whose lease expired, put back to pending (those out of retries went to failed). */
  requeued: number;
}

/** Events a {@link Scheduler} emits. */
export interface SchedulerEvents {
  /** This scheduler enqueued the job of a schedule tick. */
  fired: [event: FiredEvent];
  /** Ticks were missed; see {@link MissedTickPolicy}. */
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

/** Due schedules handled per pass; more are handled by the next pass, at once. */
const DUE_BATCH = 100;
/** Tries of an upsert that keeps losing a race with another upsert of the same schedule. */
const UPSERT_TRIES = 10;
/** How soon a pass runs again after the queue's Redis node said a tick is not due yet, in milliseconds. */
const NOT_DUE_RETRY_MS = 5;

/** A schedule the due script returned, with its definition as read. */
interface DueTick {
  name: string;
  tick: number;
  text: string | null;
}

/** What a pass does with one due tick. */
interface PlannedTick {
  name: string;
  tick: number;
  /** The definition as read ("" = none: the advance drops the schedule's score). */
  text: string;
  stored: StoredSchedule | undefined;
  plan: TickPlan | undefined;
  /** The enqueue arguments of its job, when it fires. */
  argv?: string[];
  fired: boolean;
  /** Not advanced in this pass: the tick is not due on its queue's node yet, or the fire call failed. */
  skip?: boolean;
}

function checkPositiveInteger(value: number, name: string): number {
  if (!Number.isSafeInteger(value) || value < 1) {
    throw new TqError("VALIDATION", `${name} must be a positive integer, got ${String(value)}`);
  }
  return value;
}

/**
 * Runs the time-based side of tq: fires cron and interval schedules, promotes due delayed and retry jobs, and takes
 * back expired leases, so time-based work moves even when every worker is idle, busy or stopped. Any number of
 * schedulers may run at once: each schedule tick becomes exactly one job. Every decision uses the Redis clock.
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
  readonly #keys: ScheduleKeys;
  readonly #options: SchedulerOptions;
  readonly #queues: readonly string[] | undefined;
  readonly #maxIntervalMs: number;
  readonly #sweepBatch: number;
  readonly #maxPayloadBytes: number;
  readonly #housekeepingIntervalMs: number;
  readonly #registered = new Set<string>();
  /** When each known queue next needs a sweep, epoch ms on the Redis clock; Infinity when nothing is due. */
  readonly #sweepAt = new Map<string, number>();
  /** Queues that had none of their keys left at the last housekeeping probe. */
  #empty = new Set<string>();
  /** performance.now() of the last probe and of the last housekeeping probe. */
  #probedAt = Number.NEGATIVE_INFINITY;
  #housekeptAt = Number.NEGATIVE_INFINITY;
  #connection: Promise<RedisConnection> | undefined;
  #state: "idle" | "running" | "closing" | "closed" = "idle";
  #loop: Promise<void> | undefined;
  #sleepTimer: NodeJS.Timeout | undefined;
  #wake: (() => void) | undefined;
  #wakeRequested = false;
  #closing: Promise<void> | undefined;

  constructor(options: SchedulerOptions = {}) {
    super();
    const prefix = options.prefix ?? DEFAULT_PREFIX;
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
    this.prefix = prefix;
    this.#keys = scheduleKeys(prefix);
    this.#options = options;
    this.#queues = options.queues ? [...new Set(options.queues)] : undefined;
    this.#maxIntervalMs = checkPositiveInteger(options.maxIntervalMs ?? 1_000, "maxIntervalMs");
    this.#sweepBatch = checkPositiveInteger(options.sweepBatch ?? 1_000, "sweepBatch");
    this.#housekeepingIntervalMs = checkPositiveInteger(
      options.housekeepingIntervalMs ?? 60_000,
      "housekeepingIntervalMs",
    );
    this.#maxPayloadBytes = checkPositiveInteger(
      options.maxPayloadBytes ?? DEFAULT_MAX_PAYLOAD_BYTES,
      "maxPayloadBytes",
    );
  }

  /** Whether the scheduler loop is running. */
  get isRunning(): boolean {
    return this.#state === "running";
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

  async #redisNow(connection: RedisConnection): Promise<number> {
    const [seconds, micros] = await connection.send<[string, string]>(["TIME"], this.#keys.defs);
    return Number(seconds) * 1000 + Math.floor(Number(micros) / 1000);
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
    checkQueueName(queue, "schedule");
    const name = taskName(task);
    if (typeof delayMs !== "number" || !Number.isFinite(delayMs) || delayMs < 0) {
      throw new TqError(
        "VALIDATION",
        `schedule: delayMs must be a finite number of milliseconds >= 0, got ${String(delayMs)}`,
      );
    }
    const given = (opts ?? {}) as JobOptions;
    if (given.runAt !== undefined || given.delayMs !== undefined) {
      throw new TqError("VALIDATION", "schedule: give the delay as the delayMs argument, not in opts");
    }
    await validateArgs(task, args, `task "${name}" in queue "${queue}"`);
    const merged = mergedOptions(task, { ...given, delayMs });
    merged.jobId ??= randomUUID();
    const job = prepareJob(name, args, merged, this.#maxPayloadBytes);
    const keys = queueKeys(queue, this.prefix);
    const created = await this.#call(`schedule() into queue "${queue}"`, async (c) => {
      await this.#register(c, queue);
      const [outcome] = await enqueue(c, keys, { jobs: [job] });
      return outcome === ENQUEUE_OUTCOME.created;
    });
    if (created && (!this.#queues || this.#queues.includes(queue))) {
      // This scheduler knows of the new delayed job: a sweep now learns its run time, without waiting for a probe.
      this.#sweepAt.set(queue, 0);
      this.#wakeUp();
    }
    return { id: job.id, queue, task: name, created };
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
    checkScheduleName(name);
    const resolved = resolveTiming(name, timing);
    if (typeof target !== "object" || target === null) {
      throw new TqError("VALIDATION", `schedule "${name}": target must be { queue, task, args?, opts? }`);
    }
    checkQueueName(target.queue, `schedule "${name}"`);
    const task = taskName(target.task);
    const given = (target.opts ?? {}) as JobOptions;
    if (given.jobId !== undefined || given.runAt !== undefined) {
      throw new TqError(
        "VALIDATION",
        `schedule "${name}": opts cannot hold jobId or runAt; each tick sets the job's id and time`,
      );
    }
    await validateArgs(target.task, target.args, `schedule "${name}" (task "${task}")`);
    const opts = mergedOptions(target.task, given) as ScheduleJobOptions;
    const args = target.args === undefined ? [] : target.args;
    // Checks the options and the encoded size once, here, rather than on every tick.
    prepareJob(task, args, { ...opts, jobId: `${name}:${Date.now()}` }, this.#maxPayloadBytes);

    return this.#call(`upsertSchedule("${name}")`, async (c) => {
      await this.#register(c, target.queue);
      const k = this.#keys;
      for (let i = 0; i < UPSERT_TRIES; i++) {
        const [[current, score], now] = await Promise.all([
          Promise.all([
            c.send<string | null>(["HGET", k.defs, name], k.defs),
            c.send<string | null>(["ZSCORE", k.next, name], k.next),
          ]),
          this.#redisNow(c),
        ]);
        let previous: StoredSchedule | undefined;
        if (current !== null) {
          try {
            previous = decodeSchedule(name, current);
          } catch {
            previous = undefined;
          }
        }
        const stored: StoredSchedule = {
          v: 1,
          timing: resolved,
          queue: target.queue,
          task,
          args,
          opts,
          createdAt: previous?.createdAt ?? now,
          updatedAt: now,
        };
        const keep = previous !== undefined && sameTicks(previous.timing, resolved) && score !== null;
        if (previous && keep && sameSchedule(previous, stored)) {
          return this.#info(name, previous, Number(score));
        }
        const next = keep ? Number(score) : firstTick(resolved, now);
        if (next === null) throw new TqError("VALIDATION", `schedule "${name}": its timing never fires`);
        const definition = JSON.stringify(stored);
        const input = { name, seen: current ?? "", definition, nextMs: next, keepNext: keep };
        if (await upsertSchedule(c, k, input)) {
          this.#wakeUp();
          return this.#info(name, stored, next);
        }
      }
      throw new TqError(
        "REDIS",
        `schedule "${name}" changed ${UPSERT_TRIES} times while this upsert ran; try again`,
      );
    });
  }

  /** Removes the schedule `name`: it fires no more. Jobs it already enqueued stay. False when there was none. */
  async removeSchedule(name: string): Promise<boolean> {
    checkScheduleName(name);
    return this.#call(`removeSchedule("${name}")`, (c) => removeSchedule(c, this.#keys, { name }));
  }

  /** Every schedule, by name. A stored definition that cannot be read is reported as an `error` event and left out. */
  async listSchedules(): Promise<ScheduleInfo[]> {
    const k = this.#keys;
    const [flat, nextFlat] = await this.#call("listSchedules", (c) =>
      Promise.all([
        c.send<unknown>(["HGETALL", k.defs], k.defs),
        c.send<unknown>(["ZRANGE", k.next, "0", "-1", "WITHSCORES"], k.next),
      ]),
    );
    const defs = pairs(flat);
    const next = new Map(pairs(nextFlat).map(([name, score]) => [name, Number(score)]));
    const out: ScheduleInfo[] = [];
    for (const [name, text] of defs) {
      try {
        out.push(this.#info(name, decodeSchedule(name, text), next.get(name) ?? null));
      } catch (error) {
        this.#reportError(error as Error);
      }
    }
    return out.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  /** One schedule, or null when there is none by that name. */
  async getSchedule(name: string): Promise<ScheduleInfo | null> {
    checkScheduleName(name);
    const k = this.#keys;
    const [text, score] = await this.#call(`getSchedule("${name}")`, (c) =>
      Promise.all([
        c.send<string | null>(["HGET", k.defs, name], k.defs),
        c.send<string | null>(["ZSCORE", k.next, name], k.next),
      ]),
    );
    if (text === null) return null;
    return this.#info(name, decodeSchedule(name, text), score === null ? null : Number(score));
  }

  #info(name: string, stored: StoredSchedule, nextRunAt: number | null): ScheduleInfo {
    return {
      name,
      timing: stored.timing,
      queue: stored.queue,
      task: stored.task,
      args: stored.args,
      opts: stored.opts,
      nextRunAt: nextRunAt !== null && Number.isFinite(nextRunAt) ? nextRunAt : null,
      createdAt: stored.createdAt,
      updatedAt: stored.updatedAt,
    };
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
        this.#redisNow(c),
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
        waitMs = Math.min(2_000, 25 * 2 ** Math.min(failures, 7));
      }
      if (this.#state !== "running") break;
      await this.#sleep(waitMs);
    }
  }

  /** One pass. Returns how long to sleep, in milliseconds. */
  async #pass(c: RedisConnection): Promise<number> {
    const k = this.#keys;
    const reply = await dueSchedules(c, k, { limit: DUE_BATCH });
    const readAt = performance.now();
    const now = reply.nowMs;
    const nextAt = reply.nextAtMs;
    const due: DueTick[] = reply.due.map(({ name, tickMs }) => ({ name, tick: tickMs, text: null }));
    // More may be due than one pass takes: the next pass runs at once. Otherwise the schedules moved on here are
    // folded into the wake-up time, so that all of them wait for their next tick together, with no extra pass.
    let again = due.length >= DUE_BATCH;
    let retrySoon = false;
    let nextTickAt = nextAt >= 0 ? nextAt : Number.POSITIVE_INFINITY;
    if (due.length > 0) {
      const texts = await c.send<Array<string | null>>(["HMGET", k.defs, ...due.map((d) => d.name)], k.defs);
      for (const [i, d] of due.entries()) d.text = texts[i] ?? null;
      const outcome = await this.#handleDue(c, due, now);
      retrySoon = outcome.retry;
      if (outcome.unknown) again = true;
      nextTickAt = Math.min(nextTickAt, outcome.nextTickAt);
    }
    const redisNow = () => now + (performance.now() - readAt);
    if (await this.#sweepDue(c, redisNow)) again = true;
    if (again || this.#state !== "running") return 0;
    let waitMs = retrySoon ? NOT_DUE_RETRY_MS : this.#maxIntervalMs;
    waitMs = Math.min(waitMs, nextTickAt - redisNow());
    for (const at of this.#sweepAt.values()) waitMs = Math.min(waitMs, at - redisNow());
    waitMs = Math.min(waitMs, this.#maxIntervalMs - (performance.now() - this.#probedAt));
    return Math.max(0, Math.ceil(waitMs));
  }

  /**
   * Fires (or skips) the due ticks of a pass, then moves their schedules on: one `fire` call per target queue and
   * one `advance` call for all of them, however many schedules were due at once.
   *
   * Order matters: the jobs are enqueued first, then the schedules advanced. A scheduler that dies in between leaves
   * the ticks due; the next pass (of any scheduler) fires them again, which the fire script turns into a no-op.
   * A tick the queue's Redis node says is not due yet (clocks of cluster nodes differ by a few milliseconds), or
   * whose queue refused the fire call, is not advanced: the next pass tries it again.
   *
   * Returns the earliest next fire time of the schedules it moved on, whether a tick must be tried again soon
   * (`retry`), and whether a schedule was fired but moved meanwhile by another scheduler or an upsert (`unknown`:
   * look again at once).
   */
  async #handleDue(
    c: RedisConnection,
    due: readonly DueTick[],
    now: number,
  ): Promise<{ nextTickAt: number; retry: boolean; unknown: boolean }> {
    const k = this.#keys;
    const plans: PlannedTick[] = [];
    const byQueue = new Map<string, PlannedTick[]>();
    for (const { name, tick, text } of due) {
      if (text === null) {
        plans.push({ name, tick, text: "", stored: undefined, plan: undefined, fired: false });
        continue;
      }
      let stored: StoredSchedule;
      try {
        stored = decodeSchedule(name, text);
      } catch (error) {
        this.#reportError(error as Error);
        continue;
      }
      const plan = planTick(stored.timing, tick, now);
      const planned: PlannedTick = { name, tick, text, stored, plan, fired: false };
      plans.push(planned);
      if (!plan.fire) continue;
      planned.argv = this.#jobArgv(name, tick, stored);
      if (!planned.argv) continue;
      const list = byQueue.get(stored.queue) ?? [];
      list.push(planned);
      byQueue.set(stored.queue, list);
    }
    let retry = false;
    await Promise.all(
      [...byQueue].map(async ([queue, list]) => {
        const keys = queueKeys(queue, this.prefix);
        const ticks = list.map((p) => ({ name: p.name, tickMs: p.tick, argv: p.argv ?? [] }));
        try {
          const reply = await fire(c, keys, { ticks });
          for (const [i, p] of list.entries()) {
            const outcome = reply[i];
            if (outcome === FIRE_OUTCOME.notDue) {
              p.skip = true;
              retry = true;
            } else {
              p.fired = outcome === FIRE_OUTCOME.created;
            }
          }
        } catch (error) {
          for (const p of list) p.skip = true;
          this.#reportError(
            toTqError(error, `scheduler: firing ${list.length} schedule tick(s) into queue "${queue}"`),
          );
        }
      }),
    );
    const moving = plans.filter((p) => !p.skip);
    let nextTickAt = Number.POSITIVE_INFINITY;
    let unknown = false;
    if (moving.length === 0) return { nextTickAt, retry, unknown };
    const moves = moving.map((p) => ({
      name: p.name,
      tickMs: p.tick,
      seen: p.text,
      nextMs: p.plan?.nextMs ?? null,
    }));
    let advanced: boolean[];
    let failedAdvance = false;
    try {
      advanced = await advanceSchedules(c, k, { moves });
    } catch (error) {
      this.#reportError(toTqError(error, `scheduler: moving ${moving.length} schedule(s) on`));
      // Whatever fired stays fired (the fire script never repeats a tick); the ticks stay due, and a later pass
      // advances them. Not at once: a refusal would repeat.
      advanced = moving.map(() => false);
      failedAdvance = true;
    }
    for (const [i, p] of moving.entries()) {
      const { stored, plan } = p;
      if (!stored || !plan) continue;
      const jobId = `${p.name}:${p.tick}`;
      if (p.fired) {
        this.emit("fired", {
          schedule: p.name,
          tickMs: p.tick,
          jobId,
          queue: stored.queue,
          task: stored.task,
        });
      }
      if (advanced[i]) {
        if (plan.missed) {
          this.emit("missed", {
            schedule: p.name,
            tickMs: p.tick,
            policy: stored.timing.missedTicks,
            fired: plan.fire,
            nextRunAt: plan.nextMs,
          });
        }
        if (plan.nextMs !== null) nextTickAt = Math.min(nextTickAt, plan.nextMs);
      } else if (p.fired && !failedAdvance) {
        unknown = true;
      }
    }
    return { nextTickAt, retry, unknown };
  }

  /** The enqueue arguments of a tick's job, or undefined (reported) when the stored schedule cannot build one. */
  #jobArgv(name: string, tick: number, stored: StoredSchedule): string[] | undefined {
    try {
      const jobId = `${name}:${tick}`;
      return prepareJob(stored.task, stored.args, { ...stored.opts, jobId }, this.#maxPayloadBytes).argv;
    } catch (error) {
      // Its tick is skipped, not retried for ever: the schedule must be fixed with upsertSchedule.
      this.#reportError(
        new TqError(
          (error as TqError).code ?? "VALIDATION",
          `schedule "${name}": cannot build the job of tick ${tick}, skipping it: ${(error as Error).message}`,
          { cause: error },
        ),
      );
      return undefined;
    }
  }

  /**
   * Sweeps the queues with due work: a run time or lease deadline that has come (on the Redis clock `redisNow`).
   * Every `maxIntervalMs` it first reads when each known queue next needs a sweep (see {@link probeQueue}), which is
   * also how it learns of new queues and of work added by other processes. Returns true when a sweep hit
   * `sweepBatch`: that queue is swept again at once, the others are not.
   */
  async #sweepDue(c: RedisConnection, redisNow: () => number): Promise<boolean> {
    if (performance.now() - this.#probedAt >= this.#maxIntervalMs) await this.#probe(c);
    const due: string[] = [];
    const now = redisNow();
    for (const [queue, at] of this.#sweepAt) if (at <= now) due.push(queue);
    const full = await Promise.all(due.map((queue) => this.#sweep(c, queue, redisNow)));
    return full.includes(true);
  }

  /** Reads the known queues and when each next needs a sweep; in a housekeeping probe, prunes queues that are gone. */
  async #probe(c: RedisConnection): Promise<void> {
    const housekeeping = performance.now() - this.#housekeptAt >= this.#housekeepingIntervalMs;
    let queues: readonly string[];
    if (this.#queues) {
      queues = this.#queues;
    } else {
      const key = queuesKey(this.prefix);
      const members = await c.send<string[]>(["SMEMBERS", key], key);
      queues = members.map(String).filter((q) => isValidQueueName(q));
    }
    this.#probedAt = performance.now();
    if (housekeeping) this.#housekeptAt = this.#probedAt;
    const known = new Set(queues);
    for (const queue of this.#sweepAt.keys()) if (!known.has(queue)) this.#sweepAt.delete(queue);
    const empty = new Set<string>();
    await Promise.all(
      queues.map(async (queue) => {
        try {
          const probe = await probeQueue(c, this.prefix, queue, housekeeping);
          this.#sweepAt.set(queue, probe.sweepAt);
          if (probe.exists === false) empty.add(queue);
        } catch (error) {
          this.#sweepAt.delete(queue);
          this.#reportError(toTqError(error, `scheduler: reading queue "${queue}" failed (retrying)`));
        }
      }),
    );
    if (!housekeeping) return;
    const gone = this.#queues ? [] : [...empty].filter((queue) => this.#empty.has(queue));
    this.#empty = empty;
    if (gone.length > 0) await this.#prune(c, gone);
  }

  /** Removes names of queues that have no keys left from `<prefix>:queues`, so that nothing reads them again. */
  async #prune(c: RedisConnection, queues: readonly string[]): Promise<void> {
    const key = queuesKey(this.prefix);
    try {
      await c.send(["SREM", key, ...queues], key);
      for (const queue of queues) {
        this.#sweepAt.delete(queue);
        this.#empty.delete(queue);
      }
    } catch (error) {
      this.#reportError(
        toTqError(
          error,
          `scheduler: removing ${queues.length} queue name(s) without keys from "${key}" failed`,
        ),
      );
    }
  }

  /** Sweeps one queue and notes when it next needs one. Returns true when the sweep hit `sweepBatch`. */
  async #sweep(c: RedisConnection, queue: string, redisNow: () => number): Promise<boolean> {
    const keys = queueKeys(queue, this.prefix);
    try {
      const { promoted, requeued, nextWakeMs: nextWake } = await sweep(c, keys, { limit: this.#sweepBatch });
      if (promoted + requeued > 0) this.emit("swept", { queue, promoted, requeued });
      const full = promoted >= this.#sweepBatch || requeued >= this.#sweepBatch;
      // -1: nothing scheduled or active; the next probe notices new work.
      const at = full ? 0 : nextWake < 0 ? Number.POSITIVE_INFINITY : redisNow() + Math.max(1, nextWake);
      if (this.#sweepAt.has(queue)) this.#sweepAt.set(queue, at);
      return full;
    } catch (error) {
      // Tried again after the next probe, not on every pass.
      if (this.#sweepAt.has(queue)) this.#sweepAt.set(queue, Number.POSITIVE_INFINITY);
      this.#reportError(toTqError(error, `scheduler: sweeping queue "${queue}" failed (retrying)`));
      return false;
    }
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

  #reportError(error: Error): void {
    if (this.listenerCount("error") > 0) this.emit("error", error);
    else console.error(`[tq scheduler] ${error.message}`);
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
          timer = setTimeout(() => resolve(true), this.#options.closeTimeoutMs ?? 5_000);
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

/** The pairs of a `[k1, v1, k2, v2, …]` reply, a RESP3 list of `[k, v]` pairs, or a RESP3 map. */
function pairs(reply: unknown): Array<[string, string]> {
  if (reply === null || reply === undefined) return [];
  if (reply instanceof Map) return [...reply.entries()].map(([key, value]) => [String(key), String(value)]);
  if (!Array.isArray(reply)) {
    return Object.entries(reply as Record<string, unknown>).map(([key, value]) => [key, String(value)]);
  }
  const out: Array<[string, string]> = [];
  if (reply.every((item) => Array.isArray(item))) {
    for (const [key, value] of reply as unknown[][]) out.push([String(key), String(value)]);
    return out;
  }
  for (let i = 0; i + 1 < reply.length; i += 2) out.push([String(reply[i]), String(reply[i + 1])]);
  return out;
}
