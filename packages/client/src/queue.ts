import { isTransient, RedisConnection, toTqError, warnIfEvictingPolicy } from "@tq/connection";
import {
  checkConcurrency,
  checkRateLimit,
  checkTimerMs,
  isValidJobId,
  type JobOptions,
  PRIORITIES,
  quote,
  type Task,
  type TaskArgsInput,
  type TaskResult,
  TqError,
} from "@tq/job-schema";
import {
  cancel,
  ENQUEUE_OUTCOME,
  type EnqueueOutcome,
  enqueue,
  JOB_FIELDS,
  JOB_STATES,
  type JobError,
  type JobInfo,
  type JobStatus,
  type LimitsInput,
  type PreparedJob,
  parseJobInfo,
  prepareJob,
  type QueueEvent,
  type QueueKeys,
  queueKeys,
  type RateLimit,
  redisTimeMs,
  registerQueue,
  resume,
  retentionFields,
  retry,
  setLimits,
  type TqTracer,
  type TraceCarrier,
  tqTracer,
  validateArgs,
  type WorkerInfo,
} from "@tq/protocol";
import packageJson from "../package.json" with { type: "json" };
import { ENQUEUE_MANY_MAX_BYTES, ENQUEUE_MANY_MAX_JOBS } from "./batch-limits.js";
import { JobWatches } from "./job-watches.js";
import { type EventsOptions, queueEvents } from "./queue-events.js";
import { type GroupsOptions, type GroupsPage, readGroups } from "./queue-groups.js";
import { type QueueOptions, type ResolvedQueueOptions, resolveQueueOptions } from "./queue-options.js";
import { type QueueStats, readCounts, readStats } from "./queue-stats.js";
import { ResultWaiter } from "./result-waiter.js";
import { readWorkers } from "./workers.js";

/** What `enqueue` returns. */
export interface EnqueuedJob {
  /** The job's id: the given `jobId`, or a random UUID. */
  id: string;
  queue: string;
  task: string;
  /** False when a job with this `jobId` existed already, or this one was a duplicate: nothing was created. */
  created: boolean;
  /**
   * True when the job's `dedupe` key was inside the window of another job: `id` is that job's, and nothing was
   * created (a debounced twin took this job's args and run time).
   */
  duplicate: boolean;
}

/** The {@link EnqueuedJob} of a prepared job from the enqueue script's outcome. */
function enqueued(queue: string, job: PreparedJob, outcome: EnqueueOutcome | undefined): EnqueuedJob {
  if (typeof outcome === "object") {
    return { id: outcome.duplicateOf, queue, task: job.task, created: false, duplicate: true };
  }
  return {
    id: job.id,
    queue,
    task: job.task,
    created: outcome === ENQUEUE_OUTCOME.created,
    duplicate: false,
  };
}

/** One job for {@link Queue.enqueueMany}. */
export interface EnqueueItem {
  task: string | Task;
  args?: unknown;
  opts?: JobOptions;
}

/** Counts of jobs per state. */
export interface JobCounts {
  scheduled: number;
  pending: number;
  active: number;
  completed: number;
  failed: number;
}

/** Options for {@link Queue.waitForResult}. */
export interface WaitOptions {
  /** Give up after this many milliseconds with a `TIMEOUT` error. @defaultValue 30_000 */
  timeoutMs?: number;
}

/** Options for {@link Queue.list}. */
export interface ListOptions {
  /** @defaultValue 0 */
  offset?: number;
  /** @defaultValue 50 */
  limit?: number;
}

interface Batch {
  jobs: PreparedJob[];
  settle: Array<{ resolve: (outcome: EnqueueOutcome) => void; reject: (error: unknown) => void }>;
  /** Characters of args in the batch, to close it at {@link ENQUEUE_MANY_MAX_BYTES}. */
  chars: number;
}

/** Single enqueues per shared script call. */
const ENQUEUE_CHUNK = 500;

/** The states tq writes: a state read back from Redis is shown as is only when it is one of them. */
const KNOWN_STATES: ReadonlySet<string> = new Set(JOB_STATES);

/** The longest pause between two re-sends of an enqueue, in milliseconds. */
const MAX_RESEND_PAUSE_MS = 1_000;

/** UTF-8 bytes of a prepared job's variable parts (args, options, task, id). */
function jobBytes(job: PreparedJob): number {
  let bytes = 0;
  for (const part of job.argv) bytes += Buffer.byteLength(part);
  return bytes;
}

/**
 * A named queue: what a producer uses to enqueue jobs and to inspect and manage them.
 *
 * @example
 * ```ts
 * const queue = new Queue("emails", { connection: "redis://127.0.0.1:6379" });
 * const job = await queue.enqueue("send_email", ["user@example.com", "Welcome!"]);
 * const result = await queue.waitForResult(job.id, { timeoutMs: 10_000 });
 * await queue.close();
 * ```
 */
export class Queue {
  /** The queue's name. */
  readonly name: string;
  /** The key prefix. */
  readonly prefix: string;
  readonly #keys: QueueKeys;
  readonly #options: ResolvedQueueOptions;
  #connection: Promise<RedisConnection> | undefined;
  #waiter: ResultWaiter | undefined;
  #watches: JobWatches | undefined;
  #batch: Batch | undefined;
  #closed = false;
  readonly #closeHandlers = new Set<() => void>();
  /** Producer spans, when `@opentelemetry/api` is installed. */
  readonly #tracer: TqTracer | undefined;

  constructor(name: string, options: QueueOptions = {}) {
    const resolved = resolveQueueOptions(name, options);
    this.name = resolved.name;
    this.prefix = resolved.prefix;
    this.#keys = queueKeys(resolved.name, resolved.prefix);
    this.#options = resolved;
    this.#tracer = tqTracer("@tq/client", packageJson.version);
  }

  /** The queue's connection, opened on first use (and opened again after a failed attempt). */
  async #conn(): Promise<RedisConnection> {
    if (this.#closed) throw new TqError("CLOSED", `queue ${quote(this.name)} is closed; create a new Queue`);
    if (!this.#connection) {
      const opening = this.#open();
      this.#connection = opening;
      opening.catch(() => {
        if (this.#connection === opening) this.#connection = undefined;
      });
    }
    return this.#connection;
  }

  async #open(): Promise<RedisConnection> {
    const connection = await RedisConnection.open(this.#options.connection, { onError: () => {} });
    try {
      const warn = (warning: TqError) =>
        this.#options.logger.warn({ queue: this.name, err: warning }, warning.message);
      const setup: Promise<unknown>[] = [
        registerQueue(connection, this.prefix, this.name, warn, toTqError),
        warnIfEvictingPolicy(connection, `queue "${this.name}"`, warn),
      ];
      if (this.#options.retention) {
        setup.push(
          connection.send(
            ["HSET", this.#keys.meta, ...retentionFields(this.#options.retention)],
            this.#keys.meta,
          ),
        );
      }
      await Promise.all(setup);
    } catch (error) {
      await connection.close();
      throw toTqError(error, `queue ${quote(this.name)}: cannot register the queue`);
    }
    return connection;
  }

  #prepare(
    task: string | Task,
    args: unknown,
    opts: JobOptions | undefined,
    trace: TraceCarrier | undefined,
  ): PreparedJob {
    return prepareJob(task, args, opts, this.#options.maxPayloadBytes, trace);
  }

  #validateArgs(task: string | Task, args: unknown): Promise<void> {
    return validateArgs(
      task,
      args,
      `task ${quote(typeof task === "string" ? task : task?.name)} in queue ${quote(this.name)}`,
    );
  }

  /**
   * Enqueues one job. With a {@link Task} contract the args are typed and validated here, before anything reaches
   * Redis. Resolves once the job is stored: from then on it reaches `completed` or `failed`.
   *
   * Throws `VALIDATION` (bad args or options), `PAYLOAD_TOO_LARGE`, `QUEUE_FULL` (see `maxPending`), `CONNECTION`,
   * `REDIS`, `NOPERM` or `CLOSED`. A connection error is ridden through by re-sending for up to `retryConnectionMs`;
   * a call that still fails with `CONNECTION` may or may not have stored the job: enqueue it again with the same
   * `jobId` to be sure.
   *
   * With `@opentelemetry/api` installed, each call is a `send <queue>` span (kind PRODUCER) whose trace context the
   * job carries to the worker (see "Tracing" in docs/operations.md).
   */
  async enqueue<T extends Task>(task: T, args: TaskArgsInput<T>, opts?: JobOptions): Promise<EnqueuedJob>;
  async enqueue(task: string, args?: unknown, opts?: JobOptions): Promise<EnqueuedJob>;
  async enqueue(task: string | Task, args?: unknown, opts?: JobOptions): Promise<EnqueuedJob> {
    const span = this.#tracer?.startPublish(this.name, 1);
    try {
      await this.#validateArgs(task, args);
      const job = this.#prepare(task, args, opts, span?.carrier);
      span?.messageId(job.id, job.task);
      const outcome = await this.#submit(job);
      span?.end();
      return enqueued(this.name, job, outcome);
    } catch (error) {
      span?.end(error);
      throw error;
    }
  }

  /**
   * Enqueues many jobs in one round trip. Every job is checked first: if one is invalid, none is stored. All or
   * nothing in Redis too: the batch is stored by one script call, so when Redis refuses it (`REDIS`, e.g. at
   * maxmemory, or `QUEUE_FULL` under `maxPending`) no job of it exists. Returns one {@link EnqueuedJob} per item, in
   * order. A connection error is ridden through by re-sending the whole batch (see `retryConnectionMs`), which
   * stores each job once.
   *
   * One call takes at most {@link ENQUEUE_MANY_MAX_JOBS} (1,000) jobs and {@link ENQUEUE_MANY_MAX_BYTES} (16 MiB)
   * of encoded jobs, because Redis serves nobody else while the script runs: a larger call is refused with
   * `VALIDATION` (the count before any item is read, the size as soon as it is crossed). Split larger lists into
   * several calls; each is atomic on its own.
   *
   * With `@opentelemetry/api` installed, each call is one `send <queue>` span (kind PRODUCER, with
   * `messaging.batch.message_count`) whose trace context every job of the batch carries.
   */
  async enqueueMany(items: readonly EnqueueItem[]): Promise<EnqueuedJob[]> {
    if (!Array.isArray(items))
      throw new TqError("VALIDATION", "enqueueMany takes an array of { task, args, opts }");
    if (items.length > ENQUEUE_MANY_MAX_JOBS) {
      throw new TqError(
        "VALIDATION",
        `enqueueMany takes at most ${ENQUEUE_MANY_MAX_JOBS} jobs per call (ENQUEUE_MANY_MAX_JOBS), got ${items.length}; ` +
          "one call is stored atomically by one Redis script, which blocks Redis while it runs: split the list into " +
          `calls of at most ${ENQUEUE_MANY_MAX_JOBS} (each is all or nothing on its own); nothing was enqueued`,
      );
    }
    if (items.length === 0) return [];
    const span = this.#tracer?.startPublish(this.name, items.length);
    if (!span) return this.#enqueueMany(items, undefined);
    try {
      const jobs = await this.#enqueueMany(items, span.carrier);
      if (jobs.length === 1 && jobs[0]) span.messageId(jobs[0].id, jobs[0].task);
      span.end();
      return jobs;
    } catch (error) {
      span.end(error);
      throw error;
    }
  }

  async #enqueueMany(items: readonly EnqueueItem[], trace: TraceCarrier | undefined): Promise<EnqueuedJob[]> {
    const prepared: PreparedJob[] = [];
    let bytes = 0;
    for (const [index, item] of items.entries()) {
      let job: PreparedJob;
      try {
        await this.#validateArgs(item.task, item.args);
        job = this.#prepare(item.task, item.args, item.opts, trace);
      } catch (error) {
        if (error instanceof TqError) {
          throw new TqError(error.code, `enqueueMany item ${index}: ${error.message}`, { cause: error });
        }
        throw error;
      }
      bytes += jobBytes(job);
      if (bytes > ENQUEUE_MANY_MAX_BYTES && index > 0) {
        throw new TqError(
          "VALIDATION",
          `enqueueMany item ${index}: the batch is over ${ENQUEUE_MANY_MAX_BYTES} bytes of encoded jobs ` +
            "(ENQUEUE_MANY_MAX_BYTES); one call is stored atomically by one Redis script, which blocks Redis while " +
            "it runs: split the list into smaller calls; nothing was enqueued",
        );
      }
      prepared.push(job);
    }
    if (prepared.length === 0) return [];
    const created = await this.#runEnqueue(prepared, true);
    if (created.includes(ENQUEUE_OUTCOME.queueFull)) {
      throw new TqError(
        "QUEUE_FULL",
        `queue ${quote(this.name)} has no room for the new jobs of this enqueueMany under maxPending ` +
          `(${this.#options.maxPending} jobs waiting to run, pending + scheduled); none of the ${prepared.length} was ` +
          "enqueued: enqueue them later, when workers have caught up, or raise maxPending",
      );
    }
    return prepared.map((job, i) => enqueued(this.name, job, created[i]));
  }

  /**
   * Runs the enqueue script: one {@link ENQUEUE_OUTCOME} per job; `atomic` refuses the whole batch under
   * maxPending.
   * On a connection error the same call is re-sent (see {@link QueueOptions.retryConnectionMs}); the success path
   * does no more than one send.
   */
  async #runEnqueue(jobs: readonly PreparedJob[], atomic: boolean): Promise<EnqueueOutcome[]> {
    const connection = await this.#conn();
    try {
      return await enqueue(connection, this.#keys, { jobs, maxPending: this.#options.maxPending, atomic });
    } catch (error) {
      if (this.#options.retryConnectionMs > 0 && isTransient(error)) return this.#resend(jobs, atomic, error);
      throw toTqError(error, `queue ${quote(this.name)}: enqueue failed`);
    }
  }

  /** Re-sends an enqueue whose first send failed on a connection error, until it gets an answer or time runs out. */
  async #resend(jobs: readonly PreparedJob[], atomic: boolean, first: unknown): Promise<EnqueueOutcome[]> {
    const deadline = Date.now() + this.#options.retryConnectionMs;
    let last = first;
    for (let attempt = 0; ; attempt++) {
      if (attempt > 0) {
        const left = deadline - Date.now();
        if (left <= 0) break;
        // the first re-send goes at once (a killed connection is back within milliseconds), later ones back off
        await new Promise((resolve) =>
          setTimeout(resolve, Math.min(left, MAX_RESEND_PAUSE_MS, 25 * 2 ** attempt)),
        );
      }
      let connection: RedisConnection | undefined;
      try {
        connection = await this.#conn();
        return await enqueue(
          connection,
          this.#keys,
          { jobs, maxPending: this.#options.maxPending, atomic, resend: true },
          { offlineTimeoutMs: deadline - Date.now() },
        );
      } catch (error) {
        // a client the user passed in and then closed does not come back: re-sending to it is pointless
        const closedByUser = connection !== undefined && !connection.owned && !connection.client.isOpen;
        if (closedByUser || !isTransient(error)) {
          throw toTqError(error, `queue ${quote(this.name)}: enqueue failed`);
        }
        last = error;
      }
    }
    const detail = last instanceof Error ? last.message || last.constructor.name : String(last);
    throw new TqError(
      "CONNECTION",
      `queue ${quote(this.name)}: enqueue failed: no answer from Redis after re-sending for ` +
        `${this.#options.retryConnectionMs} ms (retryConnectionMs): ${detail}; the job(s) may or may not be stored: ` +
        "enqueue again with the same jobId to be sure",
      { cause: last },
    );
  }

  /** Single enqueues made in the same tick share one script call (one round trip, one script run). */
  #submit(job: PreparedJob): Promise<EnqueueOutcome> {
    return new Promise<EnqueueOutcome>((resolve, reject) => {
      if (!this.#batch) {
        const batch: Batch = { jobs: [], settle: [], chars: 0 };
        this.#batch = batch;
        queueMicrotask(() => {
          if (this.#batch === batch) this.#batch = undefined;
          void this.#flush(batch);
        });
      }
      const batch = this.#batch;
      batch.jobs.push(job);
      batch.settle.push({ resolve, reject });
      batch.chars += job.argv[3]?.length ?? 0;
      if (batch.jobs.length >= ENQUEUE_CHUNK || batch.chars >= ENQUEUE_MANY_MAX_BYTES)
        this.#batch = undefined;
    });
  }

  async #flush(batch: Batch): Promise<void> {
    try {
      const created = await this.#runEnqueue(batch.jobs, false);
      for (const [i, s] of batch.settle.entries()) {
        const outcome = created[i];
        if (outcome === ENQUEUE_OUTCOME.queueFull) s.reject(this.#queueFull(batch.jobs[i] as PreparedJob));
        else s.resolve(outcome ?? ENQUEUE_OUTCOME.exists);
      }
    } catch (error) {
      for (const s of batch.settle) s.reject(error);
    }
  }

  #queueFull(job: PreparedJob): TqError {
    return new TqError(
      "QUEUE_FULL",
      `queue ${quote(this.name)} holds maxPending (${this.#options.maxPending}) jobs waiting to run (pending + scheduled); ` +
        `job ${quote(job.id)} (task ${quote(job.task)}) was not enqueued: enqueue it later, when workers have ` +
        "caught up, or raise maxPending",
    );
  }

  async #call<T>(what: string, fn: (connection: RedisConnection) => Promise<T>): Promise<T> {
    const connection = await this.#conn();
    try {
      return await fn(connection);
    } catch (error) {
      throw toTqError(error, `queue ${quote(this.name)}: ${what}`);
    }
  }

  /** The job's current state, args, result and errors; null when no such job exists (or retention removed it). */
  async getJob(id: string): Promise<JobInfo | null> {
    if (!isValidJobId(id)) return null;
    return this.#call(`getJob(${quote(id)})`, async (c) => {
      const values = await c.send<Array<string | null>>(
        ["HMGET", this.#keys.job(id), ...JOB_FIELDS],
        this.#keys.base,
      );
      return parseJobInfo(this.name, id, values);
    });
  }

  async #getJobs(ids: readonly string[]): Promise<JobInfo[]> {
    return this.#call("list", async (c) => {
      const rows = await Promise.all(
        ids.map((id) =>
          c.send<Array<string | null>>(["HMGET", this.#keys.job(id), ...JOB_FIELDS], this.#keys.base),
        ),
      );
      const out: JobInfo[] = [];
      rows.forEach((values, i) => {
        const info = parseJobInfo(this.name, ids[i] as string, values);
        if (info) out.push(info);
      });
      return out;
    });
  }

  /**
   * Waits for the job to finish and returns its handler's return value. No polling: it follows the queue's event
   * stream on one shared connection, and reads the job once per job id (however many callers wait for it), its state
   * first and the whole record only once it has finished.
   *
   * Rejects with `JOB_FAILED` (its `cause` is the recorded error) when the job ends failed, `TIMEOUT` when it has
   * not finished within `timeoutMs`, `NOT_FOUND` when no such job exists, and `VALIDATION` for a bad `timeoutMs`.
   */
  async waitForResult<T extends Task>(id: string, options?: WaitOptions): Promise<TaskResult<T>>;
  async waitForResult(id: string, options?: WaitOptions): Promise<unknown>;
  async waitForResult(id: string, options: WaitOptions = {}): Promise<unknown> {
    const timeoutMs = checkTimerMs(options.timeoutMs ?? 30_000, "waitForResult timeoutMs", {
      allowInfinity: true,
    });
    if (this.#closed) throw new TqError("CLOSED", `queue ${quote(this.name)} is closed; create a new Queue`);
    if (!isValidJobId(id)) throw this.#notFound(id);
    this.#waiter ??= new ResultWaiter(this.#keys, async () => (await this.#conn()).duplicate());
    this.#watches ??= new JobWatches(this.#waiter, {
      state: (jobId) =>
        this.#call(`waitForResult(${quote(jobId)})`, (c) =>
          c.send<string | null>(["HGET", this.#keys.job(jobId), "state"], this.#keys.base),
        ),
      record: (jobId) => this.getJob(jobId),
    });
    const watches = this.#watches;
    return new Promise<unknown>((resolve, reject) => {
      let done = false;
      let timer: NodeJS.Timeout | undefined;
      const finish = (fn: () => void) => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        stop();
        this.#closeHandlers.delete(onClose);
        fn();
      };
      const stop = watches.watch(id, (outcome) =>
        finish(() => {
          if ("error" in outcome) {
            reject(toTqError(outcome.error, `queue ${quote(this.name)}: waitForResult(${quote(id)})`));
            return;
          }
          const info = outcome.info;
          if (!info) reject(this.#notFound(id));
          else if (info.status === "completed") resolve(info.result);
          else reject(jobFailed(this.name, info));
        }),
      );
      if (timeoutMs !== undefined) {
        timer = setTimeout(
          () =>
            finish(() =>
              reject(
                new TqError(
                  "TIMEOUT",
                  `job ${quote(id)} in queue ${quote(this.name)} did not finish within ${timeoutMs} ms`,
                ),
              ),
            ),
          timeoutMs,
        );
      }
      const onClose = () =>
        finish(() =>
          reject(
            new TqError("CLOSED", `queue ${quote(this.name)} was closed while waiting for job ${quote(id)}`),
          ),
        );
      this.#closeHandlers.add(onClose);
    });
  }

  #notFound(id: string): TqError {
    return new TqError(
      "NOT_FOUND",
      `queue ${quote(this.name)} has no job ${quote(id)} (never enqueued, or removed by retention)`,
    );
  }

  /** How many jobs are in each state. */
  async counts(): Promise<JobCounts> {
    return this.#call("counts", (c) => readCounts(c, this.#keys));
  }

  /** Counts, paused flag, oldest pending age, live workers and per-minute throughput (see {@link QueueStats}). */
  async stats(): Promise<QueueStats> {
    return this.#call("stats", (c) => readStats(c, this.#keys));
  }

  /**
   * The queue's lifecycle events, live (see {@link EventsOptions} and `docs/operations.md`).
   *
   * @example
   * ```ts
   * for await (const event of queue.events({ signal })) console.log(event.type, event.jobId);
   * ```
   */
  events(options: EventsOptions = {}): AsyncGenerator<QueueEvent> {
    if (this.#closed) throw new TqError("CLOSED", `queue ${quote(this.name)} is closed; create a new Queue`);
    return queueEvents(
      {
        queue: this.name,
        keys: this.#keys,
        command: () => this.#conn(),
        open: async () => (await this.#conn()).duplicate(),
        onClose: (stop) => {
          this.#closeHandlers.add(stop);
          return () => this.#closeHandlers.delete(stop);
        },
      },
      options,
    );
  }

  /**
   * The jobs in one state. Pending jobs come in the order they will run (those without a group, then those of the
   * groups whose turn comes next, group by group: a group without a free slot is not listed until it has one),
   * scheduled and active jobs soonest first, completed and failed jobs newest first.
   */
  async list(status: JobStatus, options: ListOptions = {}): Promise<JobInfo[]> {
    const offset = options.offset ?? 0;
    const limit = options.limit ?? 50;
    if (!Number.isInteger(offset) || offset < 0 || !Number.isInteger(limit) || limit < 1) {
      throw new TqError("VALIDATION", "list: offset must be an integer >= 0 and limit an integer >= 1");
    }
    const k = this.#keys;
    const ids = await this.#call(`list(${status})`, async (c): Promise<string[]> => {
      const stop = String(offset + limit - 1);
      switch (status) {
        case "scheduled":
          return c.send<string[]>(["ZRANGE", k.scheduled, String(offset), stop], k.base);
        case "active":
          return c.send<string[]>(["ZRANGE", k.active, String(offset), stop], k.base);
        case "completed":
          return c.send<string[]>(["ZRANGE", k.completed, String(offset), stop, "REV"], k.base);
        case "failed":
          return c.send<string[]>(["ZRANGE", k.failed, String(offset), stop, "REV"], k.base);
        case "pending": {
          // Lists are pushed on the left and claimed from the right: run order is right to left, high first.
          const out: string[] = [];
          let skip = offset;
          for (const priority of PRIORITIES) {
            const want = limit - out.length;
            if (want <= 0) break;
            const length = Number(await c.send<number>(["LLEN", k.pending[priority]], k.base));
            if (skip >= length) {
              skip -= length;
              continue;
            }
            const end = length - 1 - skip;
            const start = Math.max(0, end - want + 1);
            const slice = await c.send<string[]>(
              ["LRANGE", k.pending[priority], String(start), String(end)],
              k.base,
            );
            out.push(...slice.reverse());
            skip = 0;
          }
          // then the jobs of the groups whose turn comes next, group by group (at most the first 100 groups)
          const groups =
            out.length < limit ? await c.send<string[]>(["ZRANGE", k.groups, "0", "99"], k.base) : [];
          for (const group of groups) {
            const want = limit - out.length;
            if (want <= 0) break;
            const key = k.group(String(group));
            const size = Number(await c.send<number>(["ZCARD", key], k.base));
            if (skip >= size) {
              skip -= size;
              continue;
            }
            out.push(
              ...(await c.send<string[]>(["ZRANGE", key, String(skip), String(skip + want - 1)], k.base)),
            );
            skip = 0;
          }
          return out;
        }
        default:
          throw new TqError("VALIDATION", `list: unknown status ${quote(status)}`);
      }
    });
    return this.#getJobs(ids);
  }

  /** Puts a failed job back to pending (a replay from the dead letter). False when the job is not failed. */
  async retry(id: string): Promise<boolean> {
    if (!isValidJobId(id)) return false;
    const moved = await this.#call(`retry(${quote(id)})`, (c) => retry(c, this.#keys, { ids: [id] }));
    return moved === 1;
  }

  /**
   * Puts every failed job back to pending: those in the dead letter when the call begins (a job that fails again
   * while it runs is not replayed twice), 1,000 per script call. Returns how many.
   */
  async retryAllFailed(): Promise<number> {
    const before = await this.#call("retryAllFailed", async (c) =>
      redisTimeMs(await c.send<string[]>(["TIME"], this.#keys.base)),
    );
    let total = 0;
    for (;;) {
      const moved = await this.#call("retryAllFailed", (c) => retry(c, this.#keys, { all: 1000, before }));
      total += moved;
      if (moved === 0) return total;
    }
  }

  /**
   * Cancels a job. One that has not started (scheduled or pending) is removed (a `cancelled` event). A running one
   * ends `failed` at once, atomically, with a `TqError`-shaped error coded `CANCELLED` and no retry (a `failed`
   * event), and its worker is told: the run's `ctx.signal` aborts within about a second (at its next lease renewal
   * if the message was missed), and whatever the handler returns later is discarded. JavaScript cannot stop a
   * running function: a handler that ignores its signal runs on, but cannot change the job any more. Returns true
   * when the job was cancelled, false when there is no such job (or `id` is not a valid job id); throws
   * `INVALID_STATE` for a finished job.
   */
  async cancel(id: string): Promise<boolean> {
    if (!isValidJobId(id)) return false;
    const { removed, failed, state } = await this.#call(`cancel(${quote(id)})`, (c) =>
      cancel(c, this.#keys, { id }),
    );
    if (state !== undefined) {
      throw new TqError(
        "INVALID_STATE",
        `job ${quote(id)} in queue ${quote(this.name)} is ${KNOWN_STATES.has(state) ? state : quote(state)}; ` +
          "only scheduled, pending or active jobs can be cancelled",
      );
    }
    return removed || failed;
  }

  /** Stops workers from claiming jobs of this queue (running jobs finish). Enqueueing still works. */
  async pause(): Promise<void> {
    await this.#call("pause", (c) => c.send(["HSET", this.#keys.meta, "paused", "1"], this.#keys.meta));
  }

  /** Lets workers claim again after {@link pause}. */
  async resume(): Promise<void> {
    await this.#call("resume", (c) => resume(c, this.#keys));
  }

  /**
   * Limits how fast jobs of this queue start: at most `max` starts in any interval of `durationMs` milliseconds (a
   * sliding window on the Redis clock, so no interval of that length holds more, wherever it begins), across every
   * worker and process. Jobs over the limit wait pending; idle workers sleep until the window opens. `null` removes
   * the limit. Throws `VALIDATION` for a `max` or `durationMs` that is not an integer from 1 up.
   */
  async setRateLimit(limit: RateLimit | null): Promise<void> {
    const rateLimit = checkRateLimit(limit);
    await this.#call("setRateLimit", (c) => setLimits(c, this.#keys, { rateLimit }));
  }

  /**
   * Limits how many jobs of this queue run at once across every worker and process (each worker's own
   * `concurrency` still applies). `null` removes the limit. Throws `VALIDATION` for anything but an integer from 1 up.
   */
  async setConcurrency(limit: number | null): Promise<void> {
    const concurrency = checkConcurrency(limit);
    await this.#call("setConcurrency", (c) => setLimits(c, this.#keys, { concurrency }));
  }

  /**
   * Limits how many jobs of one group (`enqueue(…, { group })`) run at once across every worker and process; groups
   * take turns (round robin), so a group with a large backlog cannot starve a small one. `null` removes the cap
   * (groups still take turns). `options.rateLimit` also sets the group rate limit (see {@link setGroupRateLimit});
   * without it the group rate limit is left as it is. A raised cap lets a group run more at once from the call on
   * (for a queue with more than about 1,000 groups: from each group's next finished run). Throws `VALIDATION` for
   * anything but an integer from 1 up, or a bad rate limit; nothing is written then.
   *
   * @example
   * ```ts
   * await queue.setGroupConcurrency(2, { rateLimit: { max: 10, durationMs: 1_000 } });
   * await queue.enqueue("sync", [tenantId], { group: `tenant-${tenantId}` });
   * ```
   */
  async setGroupConcurrency(
    limit: number | null,
    options: { rateLimit?: RateLimit | null } = {},
  ): Promise<void> {
    const groupConcurrency = checkConcurrency(limit, "groupConcurrency");
    const input: LimitsInput = { groupConcurrency };
    if (options.rateLimit !== undefined) {
      input.groupRateLimit = checkRateLimit(options.rateLimit, "groupRateLimit");
    }
    await this.#call("setGroupConcurrency", (c) => setLimits(c, this.#keys, input));
  }

  /**
   * Limits how fast the jobs of each group start: at most `max` starts of one group in any interval of `durationMs`
   * milliseconds (a sliding window on the Redis clock per group), across every worker. A group over its limit waits
   * while other groups run; idle workers sleep until a window opens. `null` removes the limit; the group
   * concurrency is left as it is. Throws `VALIDATION` for a `max` or `durationMs` that is not an integer from 1 up.
   */
  async setGroupRateLimit(limit: RateLimit | null): Promise<void> {
    const groupRateLimit = checkRateLimit(limit, "groupRateLimit");
    await this.#call("setGroupRateLimit", (c) => setLimits(c, this.#keys, { groupRateLimit }));
  }

  /**
   * One page of the queue's groups that have pending or active jobs, each with its counts (see {@link GroupsPage});
   * pass the returned `cursor` for the next page. Bounded work per page. Throws `VALIDATION` for a bad cursor or limit.
   *
   * @example
   * ```ts
   * for (let cursor: string | undefined; ; ) {
   *   const page = await queue.groups({ cursor, limit: 100 });
   *   for (const g of page.groups) console.log(g.name, g.pending, g.active);
   *   if (!page.cursor) break;
   *   cursor = page.cursor;
   * }
   * ```
   */
  async groups(options: GroupsOptions = {}): Promise<GroupsPage> {
    return this.#call("groups", (c) => readGroups(c, this.#keys, options));
  }

  /** Whether the queue is paused. */
  async isPaused(): Promise<boolean> {
    const value = await this.#call("isPaused", (c) =>
      c.send<string | null>(["HGET", this.#keys.meta, "paused"], this.#keys.meta),
    );
    return value === "1";
  }

  /**
   * The workers consuming this queue, from its registry: each worker's last heartbeat (every 2 s), `stale` for one
   * that has free slots while jobs are pending and whose claim loop has not run within its deadline. A worker that
   * stopped heartbeating is gone after 10 s.
   */
  async workers(): Promise<WorkerInfo[]> {
    return this.#call("workers", (c) => readWorkers(c, this.name, this.#keys));
  }

  /** Closes the queue's connections (only those tq created). Waiters reject with `CLOSED`. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    for (const handler of [...this.#closeHandlers]) handler();
    this.#waiter?.close();
    const connection = this.#connection;
    this.#connection = undefined;
    if (connection) {
      try {
        await (await connection).close();
      } catch {
        // it never opened
      }
    }
  }
}

function jobFailed(queue: string, info: JobInfo): TqError {
  const error: JobError | undefined = info.error;
  return new TqError(
    "JOB_FAILED",
    `job ${quote(info.id)} (task ${quote(info.task)}) in queue ${quote(queue)} failed after ${info.attempts} run(s): ${error?.message ?? "no error recorded"}`,
    { cause: error },
  );
}
