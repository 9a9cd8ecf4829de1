import { randomUUID } from "node:crypto";
import { EventEmitter } from "node:events";
import type { ConnectionOption, RetentionOptions } from "@tq/client";
import { RedisConnection, toTqError, warnIfEvictingPolicy } from "@tq/connection";
import {
  backoffDelay,
  checkTimerMs,
  DEFAULT_BACKOFF,
  DEFAULT_MAX_PAYLOAD_BYTES,
  isTask,
  isValidJobId,
  type JobEnvelope,
  MAX_TIMER_MS,
  quote,
  type Task,
  TqError,
  validateWithSchema,
} from "@tq/job-schema";
import {
  type ClaimedJob,
  DEFAULT_PREFIX,
  decodeJobRecord,
  extend,
  isValidQueueName,
  PROGRESS_REPLY,
  type ProgressReply,
  progress,
  type QueueKeys,
  queueKeys,
  recover,
  registerQueue,
  release,
  retentionFields,
  type TakeResult,
  take,
} from "@tq/protocol";
import type { Handler, Handlers, JobContext, Logger, TaskHandler, WorkerJob } from "./handlers.js";
import { describeThrown, isUnrecoverable, serializeError, toError } from "./serialize-error.js";

/** The default cap on one progress value, in bytes of JSON: 64 KiB. */
export const DEFAULT_MAX_PROGRESS_BYTES = 64 * 1024;

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
  /** Where `ctx.logger` writes. @defaultValue `console` */
  logger?: Logger;
  /**
   * The longest an idle worker blocks on Redis in one call, in milliseconds. Idle workers wake at once when work
   * arrives; this only bounds how long a lost wake-up could go unnoticed. From 10 to 2³¹−1. @defaultValue 5_000
   */
  maxBlockMs?: number;
}

/** Options for {@link Worker.close}. */
export interface CloseOptions {
  /** Overrides `shutdownTimeoutMs` for this call; `0` aborts running jobs at once. */
  timeoutMs?: number;
}

/** A claimed run: the job and the claim's fencing token. Process supervisors (`WorkerPool`) track runs by it. */
export interface RunRef {
  id: string;
  token: string;
}

/** What a supervisor needs to know about a run whose handler is starting. */
export interface ActiveRun extends RunRef {
  /** The job's `timeoutMs`, in milliseconds, if it has one. */
  timeoutMs: number | undefined;
  /** How long the job would wait before its next run if this run failed now, in milliseconds. */
  retryDelayMs: number;
}

/** Events a {@link Worker} emits. */
export interface WorkerEvents {
  /** A run started: its handler is about to be called. */
  active: [job: WorkerJob, run: ActiveRun];
  /** Jobs were claimed, before any of their handlers runs. */
  claimed: [runs: readonly RunRef[]];
  /**
   * A run's outcome was decided in this process (its handler returned or threw, or its `timeoutMs` ran out); its
   * acknowledgement is on its way to Redis. Followed by `ended` once the outcome is applied.
   */
  settled: [id: string, token: string];
  /** This process no longer runs the job: the run's outcome reached Redis, its lease was lost, or it was handed back. */
  ended: [id: string, token: string];
  /** A job completed with `result`. */
  completed: [job: WorkerJob, result: unknown];
  /** A job ended in `failed` (the dead letter). */
  failed: [job: WorkerJob, error: Error];
  /** A run failed and the job will run again after `delayMs`. */
  retrying: [job: WorkerJob, error: Error, delayMs: number];
  /** Something went wrong outside a job (connection, Redis) or a run lost its lease; the worker keeps going. */
  error: [error: Error];
  /** The worker is consuming. */
  ready: [];
  /** The worker has stopped. */
  closed: [];
}

interface Registered {
  fn: Handler<unknown, unknown>;
  task: Task | undefined;
}

interface Running {
  id: string;
  token: string;
  /** The run's number (1-based), known even when the record cannot be decoded. */
  attempt: number;
  controller: AbortController;
  settled: boolean;
  job: WorkerJob | undefined;
}

interface Ack {
  /** Sent before in a call whose reply was lost: it may have been applied then, so "lease lost" now means nothing. */
  resent?: boolean;
  /** How many calls carrying this ack have failed. */
  failures: number;
  /** Sent on its own (not batched with other acks or claims) because a call carrying it failed. */
  alone?: boolean;
  /** A failure ack standing in for an ack Redis refused; if Redis refuses it too, the ack is given up. */
  replaces?: Ack;
  id: string;
  token: string;
  op: "c" | "f";
  payload: string;
  delayMs: number;
  job: WorkerJob | undefined;
  result?: unknown;
  error?: Error;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** After this many failed calls an ack is sent on its own, so that it cannot hold up other acks or claims. */
const ACK_FAILURES_BEFORE_ALONE = 2;
/**
 * The smallest `proto-max-bulk-len` Redis accepts (1 MiB). An ack larger than that whose call keeps losing its
 * connection is taken as refused: Redis drops a connection that sends a bulk string over its limit.
 */
const MIN_PROTO_MAX_BULK_LEN = 1024 * 1024;
/** How many times an ack sent on its own may lose its connection before a large one is taken as refused. */
const ALONE_CONNECTION_FAILURES = 3;

/** Replies that say Redis is busy or failing over (worth retrying as is), not that it refuses this call. */
const TRANSIENT_REPLY = /^(OOM|BUSY|LOADING|READONLY|MASTERDOWN|TRYAGAIN|CLUSTERDOWN|NOREPLICAS|NOPERM)\b/;

/** Whether a failed call was refused by Redis for what it carried (not a connection or a transient server state). */
function isRefusal(error: unknown): boolean {
  const e = toTqError(error, "");
  if (e.code !== "REDIS") return false;
  const cause = e.cause;
  const message = cause instanceof Error ? cause.message : "";
  return !TRANSIENT_REPLY.test(message);
}

/** The UTF-8 byte length of `text` when it may exceed `maxBytes` (a string of n units takes at most 3n bytes). */
function bytesOver(text: string, maxBytes: number): number | false {
  if (text.length * 3 <= maxBytes) return false;
  const bytes = Buffer.byteLength(text, "utf8");
  return bytes > maxBytes ? bytes : false;
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

/**
 * Runs jobs of one queue in this process, `concurrency` at a time. Idle, it blocks on Redis (no polling); busy, it
 * claims and acknowledges jobs in batches, one round trip for many jobs.
 *
 * @example
 * ```ts
 * const worker = new Worker("emails", {
 *   send_email: async ([to, subject]) => ({ delivered: true }),
 * }, { concurrency: 10 });
 * worker.on("failed", (job, error) => console.error(job.id, error.message));
 * await worker.start();
 * ```
 */
export class Worker extends EventEmitter<WorkerEvents> {
  /** The queue this worker consumes. */
  readonly queue: string;
  readonly #keys: QueueKeys;
  readonly #options: WorkerOptions;
  readonly #concurrency: number;
  readonly #leaseMs: number;
  readonly #maxBlockMs: number;
  readonly #maxPayloadBytes: number;
  readonly #maxResultBytes: number;
  readonly #maxProgressBytes: number;
  readonly #shutdownTimeoutMs: number;
  readonly #logger: Logger;
  readonly #handlers = new Map<string, Registered>();
  readonly #running = new Map<string, Running>();
  /** Every claim this worker knows it holds (id → token), from its claim until its outcome reached Redis. */
  readonly #held = new Map<string, string>();
  #acks: Ack[] = [];
  /** Acks being sent on their own. */
  readonly #alone = new Set<Promise<void>>();
  /** A claim call failed: jobs it may have claimed must be handed back before the next claim. */
  #recoverNeeded = false;
  #command: RedisConnection | undefined;
  #blocking: RedisConnection | undefined;
  #blockingId: string | undefined;
  #state: "new" | "starting" | "running" | "closing" | "closed" = "new";
  #loop: Promise<void> | undefined;
  #leaseTimer: NodeJS.Timeout | undefined;
  #slotWaiter: (() => void) | undefined;
  #isBlocked = false;
  /** take calls in flight, and the slots they asked for. */
  #inFlight = 0;
  #reserved = 0;
  /** The last take got fewer jobs than it asked for: the queue is drained, block when nothing is in flight. */
  #drained = false;
  #nextWakeMs = -1;
  #failures = 0;
  #retryAt = 0;
  #flushScheduled = false;
  #flushing: Promise<void> | undefined;
  #wakeTimer: NodeJS.Timeout | undefined;
  #closing: Promise<void> | undefined;

  /** This worker's id (the `workerId` option, or a random UUID): the claims it makes are tagged with it. */
  readonly workerId: string;

  constructor(queue: string, handlers: Handlers = {}, options: WorkerOptions = {}) {
    super();
    if (!isValidQueueName(queue)) {
      throw new TqError(
        "VALIDATION",
        `queue name must be 1-200 characters of letters, digits and _ . : - (got ${quote(queue)})`,
      );
    }
    const concurrency = options.concurrency ?? 1;
    if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > 10_000) {
      throw new TqError(
        "VALIDATION",
        `concurrency must be an integer from 1 to 10000, got ${String(options.concurrency)}`,
      );
    }
    // Each becomes a timer: a value over 2³¹−1 ms would fire after 1 ms (leaseMs: 7e9 renewed leases 800 times a second).
    const leaseMs = checkTimerMs(options.leaseMs ?? 30_000, "leaseMs", { min: 100 }) as number;
    this.#shutdownTimeoutMs = checkTimerMs(
      options.shutdownTimeoutMs ?? 30_000,
      "shutdownTimeoutMs",
    ) as number;
    this.#maxBlockMs = checkTimerMs(options.maxBlockMs ?? 5_000, "maxBlockMs", { min: 10 }) as number;
    this.#maxPayloadBytes = options.maxPayloadBytes ?? DEFAULT_MAX_PAYLOAD_BYTES;
    this.#maxResultBytes = positiveBytes(options.maxResultBytes ?? this.#maxPayloadBytes, "maxResultBytes");
    this.#maxProgressBytes = positiveBytes(
      options.maxProgressBytes ?? DEFAULT_MAX_PROGRESS_BYTES,
      "maxProgressBytes",
    );
    const workerId = options.workerId ?? randomUUID();
    if (!isValidJobId(workerId)) {
      throw new TqError(
        "VALIDATION",
        `workerId must be 1-200 characters without whitespace, braces or control characters, got ${quote(workerId)}`,
      );
    }
    this.workerId = workerId;
    if (options.retention) retentionFields(options.retention);
    this.queue = queue;
    this.#keys = queueKeys(queue, options.prefix ?? DEFAULT_PREFIX);
    this.#options = options;
    this.#concurrency = concurrency;
    this.#leaseMs = Math.round(leaseMs);
    this.#logger = options.logger ?? console;
    for (const [name, fn] of Object.entries(handlers)) {
      if (typeof fn !== "function")
        throw new TqError("VALIDATION", `handler for task ${quote(name)} must be a function`);
      this.#handlers.set(name, { fn: fn as Handler<unknown, unknown>, task: undefined });
    }
  }

  /**
   * Registers a handler: for a task contract, args are validated before the handler runs (invalid args fail the
   * job without retries) and the result is validated after.
   */
  handle<T extends Task>(task: T, fn: TaskHandler<T>): this;
  handle(task: string, fn: Handler): this;
  handle(task: string | Task, fn: Handler<never, unknown>): this {
    if (typeof fn !== "function") throw new TqError("VALIDATION", "handle(task, fn): fn must be a function");
    const name = typeof task === "string" ? task : task.name;
    this.#handlers.set(name, { fn: fn as Handler<unknown, unknown>, task: isTask(task) ? task : undefined });
    return this;
  }

  /** The task names this worker can run. */
  get tasks(): string[] {
    return [...this.#handlers.keys()];
  }

  /** How many jobs are running now. */
  get activeCount(): number {
    return this.#running.size;
  }

  /** Whether the worker is consuming. */
  get isRunning(): boolean {
    return this.#state === "running";
  }

  /** Connects and starts consuming. Resolves once the worker is consuming; throws `CONNECTION` if Redis is unreachable. */
  async start(): Promise<void> {
    if (this.#state !== "new") {
      if (this.#state === "running" || this.#state === "starting") return;
      throw new TqError("CLOSED", `worker for queue ${quote(this.queue)} is closed; create a new Worker`);
    }
    this.#state = "starting";
    try {
      this.#command = await RedisConnection.open(this.#options.connection, { onError: () => {} });
      const report = (error: TqError) => this.#reportError(error);
      const setup: Promise<unknown>[] = [
        registerQueue(this.#command, this.#options.prefix ?? DEFAULT_PREFIX, this.queue, report, toTqError),
        warnIfEvictingPolicy(this.#command, `worker for queue "${this.queue}"`, report),
      ];
      if (this.#options.retention) {
        setup.push(
          this.#command.send(
            ["HSET", this.#keys.meta, ...retentionFields(this.#options.retention)],
            this.#keys.meta,
          ),
        );
      }
      await Promise.all(setup);
      await this.#openBlocking();
    } catch (error) {
      this.#state = "closed";
      await this.#command?.close();
      this.#blocking?.destroy();
      throw toTqError(error, `worker for queue ${quote(this.queue)}: cannot start`);
    }
    this.#state = "running";
    this.#leaseTimer = setInterval(
      () => void this.#renewLeases(),
      Math.max(50, Math.floor(this.#leaseMs / 3)),
    );
    this.#leaseTimer.unref();
    this.#loop = this.#fetchLoop();
    this.emit("ready");
  }

  async #openBlocking(): Promise<void> {
    const command = this.#command;
    if (!command) throw new TqError("CLOSED", "worker is not started");
    const blocking = await command.duplicate();
    this.#blocking = blocking;
    try {
      this.#blockingId = String(await blocking.send<number>(["CLIENT", "ID"], this.#keys.marker));
    } catch {
      this.#blockingId = undefined;
    }
  }

  // ---- the fetch loop -------------------------------------------------------------------------------------------

  /**
   * Claims and acknowledges in batches. Up to two `take` calls are in flight at once, so Redis works on the next
   * batch while this process runs the current one; a second call goes out only when at least half the slots are
   * free, so batches stay large. When a call returns fewer jobs than it asked for, the queue is drained: the loop
   * blocks on the marker until work arrives (acks of runs that finish meanwhile go out on their own).
   */
  async #fetchLoop(): Promise<void> {
    const halfBatch = Math.max(1, Math.floor(this.#concurrency / 2));
    while (this.#state === "running") {
      if (this.#retryAt > Date.now()) {
        await sleep(this.#retryAt - Date.now());
        continue;
      }
      // A claim call failed: the jobs it may have claimed are handed back first. Only with no claim call in flight,
      // so that every claim this worker will learn of is already known.
      if (this.#recoverNeeded && this.#inFlight === 0) {
        if (!(await this.#recover())) continue;
      }
      if (this.#drained && this.#inFlight === 0 && this.#acks.length === 0) {
        this.#drained = false;
        await this.#block(this.#nextWakeMs);
        continue;
      }
      const free = this.#concurrency - this.#running.size - this.#reserved;
      const worth =
        this.#inFlight === 0
          ? free > 0 || this.#acks.length > 0
          : free >= halfBatch || this.#acks.length >= halfBatch;
      if (!worth || this.#inFlight >= 2) {
        await this.#slotFreed();
        // let the other runs finishing in this tick queue their acks too: one round trip for all of them
        await new Promise((resolve) => setImmediate(resolve));
        continue;
      }
      const acks = this.#acks;
      this.#acks = [];
      // at most half the slots per call, so one batch runs here while Redis prepares the next
      const want = Math.max(0, Math.min(free, halfBatch));
      this.#inFlight++;
      this.#reserved += want;
      this.#take(acks, want)
        .then(
          (reply) => {
            this.#inFlight--;
            this.#reserved -= want;
            this.#failures = 0;
            const claimed = this.#applyTake(acks, reply);
            if (want > 0 && claimed < want) {
              this.#drained = true;
              this.#nextWakeMs = reply.nextWakeMs;
            }
          },
          (error: unknown) => {
            this.#inFlight--;
            this.#reserved -= want;
            // Redis may have applied the claim before the reply was lost: those jobs are this worker's now.
            if (want > 0) this.#recoverNeeded = true;
            this.#ackCallFailed(acks, error);
            if (this.#state === "running") {
              this.#failures++;
              this.#retryAt = Date.now() + Math.min(2_000, 25 * 2 ** Math.min(this.#failures, 7));
              this.#reportError(
                toTqError(error, `worker for queue ${quote(this.queue)}: claiming jobs failed (retrying)`),
              );
            }
          },
        )
        .catch((error: unknown) => this.#listenerFailed(error))
        .finally(() => this.#wakeLoop());
    }
    // close() waits for the calls still in flight: their claimed jobs must run or be released
    while (this.#inFlight > 0) await this.#slotFreed();
    if (this.#recoverNeeded) await this.#recover();
  }

  /** An event listener threw while the worker reported an outcome: the worker goes on. */
  #listenerFailed(error: unknown): void {
    try {
      this.#reportError(
        new TqError(
          "HANDLER",
          `worker for queue ${quote(this.queue)}: an event listener threw: ${describeThrown(toError(error).message)}`,
          { cause: error },
        ),
      );
    } catch {
      // an "error" listener threw too: nothing more to tell
    }
  }

  /**
   * Hands back the jobs claimed under this worker's id that it does not hold (a claim whose reply was lost).
   * Returns false (and backs off) if Redis could not be reached.
   */
  async #recover(): Promise<boolean> {
    const command = this.#command;
    if (!command) return true;
    const held = [...this.#held].map(([id, token]) => ({ id, token }));
    try {
      await recover(command, this.#keys, { workerId: this.workerId, held });
      this.#recoverNeeded = false;
      return true;
    } catch (error) {
      if (this.#state === "running") {
        this.#failures++;
        this.#retryAt = Date.now() + Math.min(2_000, 25 * 2 ** Math.min(this.#failures, 7));
        this.#reportError(
          toTqError(
            error,
            `worker for queue ${quote(this.queue)}: handing back claims whose reply was lost failed (retrying)`,
          ),
        );
      }
      return false;
    }
  }

  #wakeLoop(): void {
    const waiter = this.#slotWaiter;
    this.#slotWaiter = undefined;
    waiter?.();
  }

  #take(acks: readonly Ack[], claim: number): Promise<TakeResult> {
    const command = this.#command;
    if (!command) return Promise.reject(new TqError("CLOSED", "worker is closed"));
    return take(command, this.#keys, {
      workerId: this.workerId,
      leaseMs: this.#leaseMs,
      claim,
      acks,
      maxResultBytes: this.#maxResultBytes,
    });
  }

  /** Reports the outcome of each ack and starts the claimed runs. Returns how many were claimed. */
  #applyTake(acks: readonly Ack[], reply: TakeResult): number {
    const { outcomes, claimed: claims } = reply;
    // Held before anything is reported: a listener that throws must not leave a claimed job unknown.
    for (const claim of claims) this.#held.set(claim.id, claim.token);
    for (const [i, ack] of acks.entries()) {
      try {
        this.#reportOutcome(ack, outcomes[i] ?? "l");
      } catch (error) {
        this.#listenerFailed(error);
      }
    }
    // Announced before any handler runs: a handler that kills the process must not hide its batch-mates.
    if (claims.length > 0) {
      try {
        this.emit("claimed", claims);
      } catch (error) {
        this.#listenerFailed(error);
      }
    }
    for (const claim of claims) this.#startRun(claim);
    return claims.length;
  }

  /**
   * A call carrying acks failed. Acks go back in front of the next call (the call may have been applied before its
   * reply was lost: the script then reports what it did); an ack whose calls keep failing, or that Redis refused,
   * is sent on its own so that it cannot hold up other acks or claims.
   */
  #ackCallFailed(acks: readonly Ack[], error: unknown): void {
    const refused = isRefusal(error);
    const retry: Ack[] = [];
    for (const ack of acks) {
      ack.resent = true;
      ack.failures++;
      if (refused || ack.failures >= ACK_FAILURES_BEFORE_ALONE) this.#sendAlone(ack);
      else retry.push(ack);
    }
    if (retry.length > 0) this.#acks = retry.concat(this.#acks);
  }

  /**
   * Sends one ack in a call of its own until Redis answers. If Redis refuses it (a result over
   * `proto-max-bulk-len`, a script error), the run is recorded as failed instead, with the reason; if Redis refuses
   * that too, the ack is given up and the job's lease expires. Connection errors are retried with a backoff.
   */
  #sendAlone(first: Ack): void {
    first.alone = true;
    const run = async () => {
      let ack = first;
      let connectionFailures = 0;
      for (;;) {
        try {
          this.#applyTake([ack], await this.#take([ack], 0));
          return;
        } catch (error) {
          ack.resent = true;
          let refused = isRefusal(error);
          if (!refused) {
            connectionFailures++;
            const size = Buffer.byteLength(ack.payload, "utf8");
            refused = connectionFailures >= ALONE_CONNECTION_FAILURES && size > MIN_PROTO_MAX_BULK_LEN;
          }
          if (refused) {
            if (ack.replaces) {
              this.#giveUp(ack, error);
              return;
            }
            ack = this.#replacement(ack, error);
            connectionFailures = 0;
            continue;
          }
          if (this.#state !== "running" && connectionFailures >= 5) {
            this.#giveUp(ack, error);
            return;
          }
          await sleep(Math.min(2_000, 25 * 2 ** Math.min(connectionFailures, 7)));
        }
      }
    };
    const sending = run()
      .catch((error: unknown) => this.#listenerFailed(error))
      .finally(() => {
        this.#alone.delete(sending);
      });
    this.#alone.add(sending);
  }

  /** A failure ack standing in for one Redis refused: the job fails without retries, saying why. */
  #replacement(ack: Ack, cause: unknown): Ack {
    const refusal = toError(cause).message;
    const size = Buffer.byteLength(ack.payload, "utf8");
    const job = ack.job;
    const what = `job ${quote(ack.id)}${job ? ` (task ${quote(job.task)})` : ""} in queue ${quote(this.queue)}`;
    const error = new TqError(
      /bulk length|Protocol error/i.test(refusal) || size > MIN_PROTO_MAX_BULK_LEN
        ? "PAYLOAD_TOO_LARGE"
        : "REDIS",
      `Redis refused to record the ${ack.op === "c" ? "result" : "failure"} of ${what} (${size} bytes): ` +
        `${describeThrown(refusal)}; the job was failed instead`,
      { cause, retryable: false },
    );
    const attempt = job?.attempt ?? 1;
    const replacement: Ack = {
      id: ack.id,
      token: ack.token,
      op: "f",
      payload: JSON.stringify(serializeError(error, attempt)),
      delayMs: -1,
      job,
      result: ack.result,
      error,
      failures: 0,
      alone: true,
      resent: true,
      replaces: ack,
    };
    return replacement;
  }

  /** Redis refused an ack and its replacement: this process lets the run go; its lease expires in Redis. */
  #giveUp(ack: Ack, cause: unknown): void {
    if (this.#held.get(ack.id) === ack.token) this.#held.delete(ack.id);
    this.emit("ended", ack.id, ack.token);
    this.#reportError(
      toTqError(
        cause,
        `worker for queue ${quote(this.queue)}: Redis refused the outcome of job ${quote(ack.id)}; its lease will expire and it will run again`,
      ),
    );
  }

  #reportOutcome(ack: Ack, outcome: string): void {
    if (this.#held.get(ack.id) === ack.token) this.#held.delete(ack.id);
    this.emit("ended", ack.id, ack.token);
    if (!ack.job) return;
    const job = ack.job;
    switch (outcome) {
      case "c":
        this.emit("completed", job, ack.result);
        break;
      case "r":
        this.emit("retrying", job, ack.error ?? new Error("run failed"), ack.delayMs);
        break;
      case "f":
        this.emit("failed", job, ack.error ?? new Error("job failed"));
        break;
      case "p":
        this.emit(
          "failed",
          job,
          new TqError(
            "PAYLOAD_TOO_LARGE",
            `the ${ack.op === "c" ? "result" : "error"} of job ${quote(job.id)} (task ${quote(job.task)}) in queue ${quote(this.queue)} is over the ${this.#maxResultBytes}-byte limit (maxResultBytes); Redis did not store it and failed the job`,
            { retryable: false },
          ),
        );
        break;
      case "d":
        this.emit(
          "failed",
          job,
          new TqError(
            "DECODE",
            `the key of job ${quote(job.id)} (task ${quote(job.task)}) in queue ${quote(this.queue)} no longer held a job record (something else overwrote it); the job was failed`,
            { retryable: false },
          ),
        );
        break;
      default:
        if (ack.resent) break;
        this.#reportError(
          new TqError(
            "LEASE_LOST",
            `job ${quote(ack.id)} (task ${quote(job.task)}) in queue ${quote(this.queue)} finished after its lease was lost; another worker owns it and this run's outcome was discarded`,
          ),
        );
    }
  }

  #slotFreed(): Promise<void> {
    return new Promise((resolve) => {
      this.#slotWaiter = resolve;
    });
  }

  /** Blocks on the queue's marker until work arrives, the next timed event is due, or the worker closes. */
  async #block(nextWakeMs: number): Promise<void> {
    if (nextWakeMs === 0) return;
    const waitMs = nextWakeMs < 0 ? this.#maxBlockMs : Math.min(nextWakeMs, this.#maxBlockMs);
    if (!this.#blocking) {
      try {
        await this.#openBlocking();
      } catch (error) {
        this.#reportError(
          toTqError(error, `worker for queue ${quote(this.queue)}: blocking connection failed (retrying)`),
        );
        await sleep(Math.min(waitMs, 1_000));
        return;
      }
    }
    const blocking = this.#blocking;
    if (!blocking) return;
    this.#isBlocked = true;
    // Redis checks blocking timeouts only about every 100 ms; a local timer unblocks the call on time instead.
    if (nextWakeMs > 0 && nextWakeMs <= this.#maxBlockMs && this.#blockingId) {
      this.#wakeTimer = setTimeout(() => this.#unblock(), nextWakeMs);
    }
    // A watchdog for a socket that died without telling anyone: no reply well past the timeout means a new connection.
    let watchdog: NodeJS.Timeout | undefined;
    const hung = new Promise<"hung">((resolve) => {
      watchdog = setTimeout(() => resolve("hung"), waitMs + 5_000);
    });
    try {
      const result = await Promise.race([
        blocking.send(
          ["BZPOPMIN", this.#keys.marker, (Math.max(waitMs, 1) / 1000).toFixed(3)],
          this.#keys.marker,
        ),
        hung,
      ]);
      if (result === "hung") throw new Error("blocking read got no reply past its timeout");
    } catch (error) {
      if (this.#state === "running") {
        this.#reportError(
          toTqError(error, `worker for queue ${quote(this.queue)}: blocking read failed (reconnecting)`),
        );
        await sleep(50);
      }
      blocking.destroy();
      if (this.#blocking === blocking) {
        this.#blocking = undefined;
        this.#blockingId = undefined;
      }
    } finally {
      clearTimeout(watchdog);
      clearTimeout(this.#wakeTimer);
      this.#wakeTimer = undefined;
      this.#isBlocked = false;
    }
  }

  /** Ends the blocking read now (CLIENT UNBLOCK from the command connection). */
  #unblock(): void {
    if (!this.#isBlocked || !this.#blockingId || !this.#command) return;
    this.#command.send(["CLIENT", "UNBLOCK", this.#blockingId], this.#keys.marker).catch(() => {});
  }

  // ---- running jobs ---------------------------------------------------------------------------------------------

  #startRun(claim: ClaimedJob): void {
    const run: Running = {
      id: claim.id,
      token: claim.token,
      attempt: claim.attempt,
      controller: new AbortController(),
      settled: false,
      job: undefined,
    };
    this.#running.set(claim.id, run);
    // Every run settles: whatever escapes (a hostile thrown value, a listener that throws) fails the run.
    this.#execute(run, claim).catch((error: unknown) => {
      this.#settle(run, "f", toError(error), -1);
    });
  }

  async #execute(run: Running, claim: ClaimedJob): Promise<void> {
    let envelope: JobEnvelope;
    try {
      envelope = decodeJobRecord(claim.id, claim.record, this.#maxPayloadBytes);
    } catch (error) {
      this.#settle(run, "f", toError(error), -1);
      return;
    }
    const job: WorkerJob = {
      id: claim.id,
      queue: this.queue,
      task: envelope.task,
      args: envelope.args,
      attempt: claim.attempt,
      maxRetries: envelope.opts.maxRetries,
      priority: envelope.opts.priority,
    };
    run.job = job;
    const what = `task ${quote(job.task)} (job ${quote(job.id)})`;
    const registered = this.#handlers.get(envelope.task);
    if (!registered) {
      const known = this.tasks.length > 0 ? this.tasks.map((t) => quote(t)).join(", ") : "none";
      this.#settle(
        run,
        "f",
        new TqError(
          "UNKNOWN_TASK",
          `unknown task ${quote(envelope.task)} for job ${quote(job.id)} in queue ${quote(this.queue)}: this worker knows ${known}`,
          { retryable: false },
        ),
        -1,
      );
      return;
    }
    let timer: NodeJS.Timeout | undefined;
    // A stored timeoutMs beyond what a timer can wait (written by an old or foreign producer) means no timeout:
    // a timer would fire after 1 ms. Runs that long are bounded by their lease renewals, not by a timer.
    const timeoutMs =
      envelope.opts.timeoutMs !== undefined && envelope.opts.timeoutMs <= MAX_TIMER_MS
        ? envelope.opts.timeoutMs
        : undefined;
    try {
      if (timeoutMs !== undefined) {
        timer = setTimeout(() => {
          const error = new TqError(
            "TIMEOUT",
            `${what} ran past its timeoutMs of ${timeoutMs} ms on attempt ${job.attempt}`,
          );
          run.controller.abort(error);
          this.#fail(run, envelope, error);
        }, timeoutMs);
      }
      this.emit("active", job, {
        id: job.id,
        token: run.token,
        timeoutMs,
        retryDelayMs: backoffDelay(envelope.opts.backoff ?? DEFAULT_BACKOFF, job.attempt),
      });
      let args = envelope.args;
      if (registered.task?.args) {
        args = await validateWithSchema(registered.task.args, args, "args", what);
      }
      const ctx = this.#context(run, job);
      let result = await registered.fn(args, ctx);
      if (registered.task?.result) {
        result = await validateWithSchema(registered.task.result, result, "result", what);
      }
      let payload: string;
      try {
        // a function or symbol result is no result, as JSON would drop it from an object
        payload = result === undefined ? "" : (JSON.stringify(result) ?? "");
      } catch (cause) {
        throw new TqError(
          "VALIDATION",
          `${what} returned a value that is not JSON: ${describeThrown(toError(cause).message)}`,
          { cause, retryable: false },
        );
      }
      const size = bytesOver(payload, this.#maxResultBytes);
      if (size !== false) {
        throw new TqError(
          "PAYLOAD_TOO_LARGE",
          `${what} returned a result of ${size} bytes encoded, over the ${this.#maxResultBytes}-byte cap (maxResultBytes); store large data elsewhere and return a reference`,
          { retryable: false },
        );
      }
      this.#settle(run, "c", undefined, 0, payload, result);
    } catch (error) {
      this.#fail(run, envelope, error);
    } finally {
      clearTimeout(timer);
    }
  }

  #fail(run: Running, envelope: JobEnvelope, thrown: unknown): void {
    const error = toError(thrown);
    const attempt = run.job?.attempt ?? 1;
    let delayMs = -1;
    try {
      if (!isUnrecoverable(error)) delayMs = backoffDelay(envelope.opts.backoff ?? DEFAULT_BACKOFF, attempt);
    } catch {
      // a backoff that cannot be computed: no retry rather than no outcome
    }
    this.#settle(run, "f", error, Number.isFinite(delayMs) ? delayMs : -1);
  }

  /** Records a run's outcome once, frees its slot and queues its ack. */
  #settle(
    run: Running,
    op: "c" | "f",
    error: Error | undefined,
    delayMs: number,
    payload = "",
    result?: unknown,
  ): void {
    if (run.settled) return;
    run.settled = true;
    if (this.#running.get(run.id) === run) this.#running.delete(run.id);
    const ack: Ack = {
      id: run.id,
      token: run.token,
      op,
      payload: op === "c" ? payload : JSON.stringify(serializeError(error, run.attempt)),
      delayMs: Math.round(delayMs),
      job: run.job,
      result,
      failures: 0,
    };
    if (error) ack.error = error;
    this.#acks.push(ack);
    this.#wakeLoop();
    if (this.#isBlocked || this.#state !== "running") this.#scheduleFlush();
    try {
      this.emit("settled", run.id, run.token);
    } catch (thrown) {
      this.#listenerFailed(thrown);
    }
  }

  #context(run: Running, job: WorkerJob): JobContext {
    const prefix = `[tq ${quote(this.queue)}/${quote(job.task)} ${quote(job.id)}#${job.attempt}]`;
    const base = this.#logger;
    const logger: Logger = {
      debug: (m, ...r) => base.debug(`${prefix} ${m}`, ...r),
      info: (m, ...r) => base.info(`${prefix} ${m}`, ...r),
      warn: (m, ...r) => base.warn(`${prefix} ${m}`, ...r),
      error: (m, ...r) => base.error(`${prefix} ${m}`, ...r),
    };
    return {
      jobId: job.id,
      queue: this.queue,
      task: job.task,
      attempt: job.attempt,
      maxRetries: job.maxRetries,
      priority: job.priority,
      signal: run.controller.signal,
      logger,
      progress: async (value: unknown) => {
        const command = this.#command;
        if (!command || run.settled) return;
        let json: string;
        try {
          json = JSON.stringify(value) ?? "null";
        } catch (cause) {
          throw new TqError("VALIDATION", `progress value for job ${quote(job.id)} is not JSON`, { cause });
        }
        const tooLarge = (bytes: number | string) =>
          new TqError(
            "PAYLOAD_TOO_LARGE",
            `progress value for job ${quote(job.id)} (task ${quote(job.task)}) is ${bytes} bytes encoded, over the ${this.#maxProgressBytes}-byte cap (maxProgressBytes); it was not stored`,
          );
        const size = bytesOver(json, this.#maxProgressBytes);
        if (size !== false) throw tooLarge(size);
        let reply: ProgressReply;
        try {
          const input = { id: job.id, token: run.token, value: json, maxBytes: this.#maxProgressBytes };
          reply = await progress(command, this.#keys, input);
        } catch (error) {
          throw toTqError(error, `job ${quote(job.id)}: recording progress failed`);
        }
        if (reply === PROGRESS_REPLY.tooLarge) throw tooLarge(Buffer.byteLength(json, "utf8"));
      },
    };
  }

  // ---- acks outside the fetch loop --------------------------------------------------------------------------------

  /** Acks that finish while the loop blocks (or after close began) go out on their own, batched per tick. */
  #scheduleFlush(): void {
    if (this.#flushScheduled) return;
    this.#flushScheduled = true;
    setImmediate(() => {
      this.#flushScheduled = false;
      if (this.#flushing || this.#acks.length === 0) return;
      if (!this.#isBlocked && this.#state === "running") return; // the loop takes them
      this.#flushing = this.#flushAcks().finally(() => {
        this.#flushing = undefined;
        if (this.#acks.length > 0 && (this.#isBlocked || this.#state !== "running")) this.#scheduleFlush();
      });
    });
  }

  async #flushAcks(): Promise<void> {
    const acks = this.#acks;
    this.#acks = [];
    if (acks.length === 0) return;
    let reply: TakeResult;
    try {
      reply = await this.#take(acks, 0);
    } catch (error) {
      this.#ackCallFailed(acks, error);
      this.#reportError(
        toTqError(error, `worker for queue ${quote(this.queue)}: acknowledging jobs failed (retrying)`),
      );
      await sleep(100);
      return;
    }
    this.#applyTake(acks, reply);
  }

  // ---- leases -----------------------------------------------------------------------------------------------------

  async #renewLeases(): Promise<void> {
    const command = this.#command;
    if (!command || this.#running.size === 0) return;
    const runs = [...this.#running.values()];
    let lost: string[];
    try {
      lost = await extend(command, this.#keys, { leaseMs: this.#leaseMs, runs });
    } catch (error) {
      this.#reportError(
        toTqError(error, `worker for queue ${quote(this.queue)}: renewing leases failed (retrying)`),
      );
      return;
    }
    for (const id of lost) {
      const run = runs.find((r) => r.id === id);
      if (!run || run.settled || this.#running.get(id) !== run) continue;
      run.settled = true;
      this.#running.delete(id);
      if (this.#held.get(id) === run.token) this.#held.delete(id);
      const error = new TqError(
        "LEASE_LOST",
        `lease on job ${quote(id)} in queue ${quote(this.queue)} was lost (it expired, another worker took the job, or its record was overwritten); this run is aborted`,
      );
      run.controller.abort(error);
      this.emit("ended", id, run.token);
      this.#reportError(error);
      this.#wakeLoop();
    }
  }

  #reportError(error: Error): void {
    if (this.listenerCount("error") > 0) this.emit("error", error);
    else this.#logger.error(`[tq worker ${quote(this.queue)}] ${error.message}`);
  }

  // ---- shutdown ---------------------------------------------------------------------------------------------------

  /**
   * Stops claiming, waits up to `shutdownTimeoutMs` for running jobs to finish, then aborts the rest (their
   * `ctx.signal`) and hands them back to the queue without counting the run. Closes only connections tq created.
   */
  close(options: CloseOptions = {}): Promise<void> {
    this.#closing ??= this.#close(options.timeoutMs ?? this.#shutdownTimeoutMs);
    return this.#closing;
  }

  async #close(graceMs: number): Promise<void> {
    const wasStarted = this.#state === "running";
    this.#state = "closing";
    if (!wasStarted) {
      this.#state = "closed";
      this.emit("closed");
      return;
    }
    this.#unblock();
    this.#wakeLoop();
    // Claims in flight still start their jobs; wait for them so that every job this worker holds is known below.
    await this.#loop?.catch(() => {});
    // Leases keep being renewed while the jobs finish.
    const deadline = Date.now() + graceMs;
    while (this.#running.size > 0 && Date.now() < deadline) {
      await sleep(Math.min(50, Math.max(1, deadline - Date.now())));
    }
    const unfinished = [...this.#running.values()];
    for (const run of unfinished) {
      run.settled = true;
      this.#running.delete(run.id);
      if (this.#held.get(run.id) === run.token) this.#held.delete(run.id);
      this.emit("ended", run.id, run.token);
      run.controller.abort(
        new TqError(
          "CLOSED",
          `worker for queue ${quote(this.queue)} shut down before job ${quote(run.id)} finished`,
        ),
      );
    }
    clearInterval(this.#leaseTimer);
    await this.#flushing;
    for (let i = 0; i < 5 && this.#acks.length > 0; i++) await this.#flushAcks();
    // acks sent on their own give up after a few connection failures once closing
    while (this.#alone.size > 0) await Promise.all([...this.#alone]);
    if (unfinished.length > 0 && this.#command) {
      try {
        await release(this.#command, this.#keys, { runs: unfinished });
      } catch (error) {
        this.#reportError(
          toTqError(
            error,
            `worker for queue ${quote(this.queue)}: releasing unfinished jobs failed; their leases will expire`,
          ),
        );
      }
    }
    this.#blocking?.destroy();
    this.#blocking = undefined;
    await this.#loop?.catch(() => {});
    await this.#command?.close();
    this.#command = undefined;
    this.#state = "closed";
    this.emit("closed");
  }
}
