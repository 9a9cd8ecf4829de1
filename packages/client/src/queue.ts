import {
  DEFAULT_MAX_PAYLOAD_BYTES,
  DEFAULT_PREFIX,
  isValidJobId,
  isValidQueueName,
  type JobOptions,
  PRIORITIES,
  type QueueKeys,
  queueKeys,
  type Task,
  type TaskArgsInput,
  type TaskResult,
  TqError,
} from "@tq/job-schema";
import { type ConnectionOption, RedisConnection, toTqError } from "./connection.js";
import { JOB_FIELDS, type JobError, type JobInfo, type JobStatus, parseJobInfo } from "./job-info.js";
import * as scripts from "./lua/scripts.generated.js";
import { runScript } from "./lua-script.js";
import { warnIfEvictingPolicy } from "./memory-policy.js";
import { type PreparedJob, prepareJob, validateArgs } from "./prepare-job.js";
import { registerQueue } from "./register-queue.js";
import { ResultWaiter } from "./result-waiter.js";
import { type RetentionOptions, retentionFields } from "./retention.js";
import { cancelKeys, enqueueKeys, resumeKeys, retryKeys } from "./script-keys.js";

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
   * Where the queue writes warnings that do not fail an operation: Redis evicts keys under memory pressure (an
   * evicting `maxmemory-policy`, checked on the first connection), or the queue could not be added to the shared
   * list of queue names (an ACL). @defaultValue `console`
   */
  logger?: QueueLogger;
}

/** What a {@link Queue} logs to: `console`, or any logger with a `warn` method. */
export interface QueueLogger {
  warn(message: string): void;
}

/** What `enqueue` returns. */
export interface EnqueuedJob {
  /** The job's id: the given `jobId`, or a random UUID. */
  id: string;
  queue: string;
  task: string;
  /** False when a job with this `jobId` existed already: nothing was created. */
  created: boolean;
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
  settle: Array<{ resolve: (created: boolean) => void; reject: (error: unknown) => void }>;
}

/** Jobs per enqueue script call. */
const ENQUEUE_CHUNK = 500;

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
  /** The queue's Redis keys. */
  readonly keys: QueueKeys;
  readonly #options: QueueOptions;
  readonly #maxPayloadBytes: number;
  #connection: Promise<RedisConnection> | undefined;
  #waiter: ResultWaiter | undefined;
  #batch: Batch | undefined;
  #closed = false;
  readonly #closeHandlers = new Set<() => void>();

  constructor(name: string, options: QueueOptions = {}) {
    if (!isValidQueueName(name)) {
      throw new TqError(
        "VALIDATION",
        `queue name must be 1-200 characters of letters, digits and _ . : - (got ${JSON.stringify(name)})`,
      );
    }
    const maxPayloadBytes = options.maxPayloadBytes ?? DEFAULT_MAX_PAYLOAD_BYTES;
    if (!Number.isInteger(maxPayloadBytes) || maxPayloadBytes <= 0) {
      throw new TqError(
        "VALIDATION",
        `maxPayloadBytes must be a positive integer, got ${String(maxPayloadBytes)}`,
      );
    }
    if (options.retention) retentionFields(options.retention);
    this.name = name;
    this.prefix = options.prefix ?? DEFAULT_PREFIX;
    this.keys = queueKeys(name, this.prefix);
    this.#options = options;
    this.#maxPayloadBytes = maxPayloadBytes;
  }

  /** The queue's connection, opened on first use (and opened again after a failed attempt). */
  async connection(): Promise<RedisConnection> {
    if (this.#closed) throw new TqError("CLOSED", `queue "${this.name}" is closed; create a new Queue`);
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
        (this.#options.logger ?? console).warn(`[tq queue] ${warning.message}`);
      const setup: Promise<unknown>[] = [
        registerQueue(connection, this.prefix, this.name, warn),
        warnIfEvictingPolicy(connection, `queue "${this.name}"`, warn),
      ];
      if (this.#options.retention) {
        setup.push(
          connection.send(
            ["HSET", this.keys.meta, ...retentionFields(this.#options.retention)],
            this.keys.meta,
          ),
        );
      }
      await Promise.all(setup);
    } catch (error) {
      await connection.close();
      throw toTqError(error, `queue "${this.name}": cannot register the queue`);
    }
    return connection;
  }

  #prepare(task: string | Task, args: unknown, opts: JobOptions | undefined): PreparedJob {
    return prepareJob(task, args, opts, this.#maxPayloadBytes);
  }

  #validateArgs(task: string | Task, args: unknown): Promise<void> {
    return validateArgs(
      task,
      args,
      `task "${typeof task === "string" ? task : task?.name}" in queue "${this.name}"`,
    );
  }

  /**
   * Enqueues one job. With a {@link Task} contract the args are typed and validated here, before anything reaches
   * Redis. Resolves once the job is stored: from then on it reaches `completed` or `failed`.
   *
   * Throws `VALIDATION` (bad args or options), `PAYLOAD_TOO_LARGE`, `CONNECTION`, `REDIS` or `CLOSED`.
   * A call that fails with `CONNECTION` may or may not have stored the job: retry it with the same `jobId` to be sure.
   */
  async enqueue<T extends Task>(task: T, args: TaskArgsInput<T>, opts?: JobOptions): Promise<EnqueuedJob>;
  async enqueue(task: string, args?: unknown, opts?: JobOptions): Promise<EnqueuedJob>;
  async enqueue(task: string | Task, args?: unknown, opts?: JobOptions): Promise<EnqueuedJob> {
    await this.#validateArgs(task, args);
    const job = this.#prepare(task, args, opts);
    const created = await this.#submit(job);
    return { id: job.id, queue: this.name, task: job.task, created };
  }

  /**
   * Enqueues many jobs in one round trip. Every job is checked first: if one is invalid, none is stored. All or
   * nothing in Redis too: the batch is stored by one script call, so when Redis refuses it (`REDIS`, e.g. at
   * maxmemory) no job of it exists. Returns one {@link EnqueuedJob} per item, in order.
   */
  async enqueueMany(items: readonly EnqueueItem[]): Promise<EnqueuedJob[]> {
    if (!Array.isArray(items))
      throw new TqError("VALIDATION", "enqueueMany takes an array of { task, args, opts }");
    const prepared: PreparedJob[] = [];
    for (const [index, item] of items.entries()) {
      try {
        await this.#validateArgs(item.task, item.args);
        prepared.push(this.#prepare(item.task, item.args, item.opts));
      } catch (error) {
        if (error instanceof TqError) {
          throw new TqError(error.code, `enqueueMany item ${index}: ${error.message}`, { cause: error });
        }
        throw error;
      }
    }
    const connection = await this.connection();
    // One script call for the whole batch: a refusal (e.g. maxmemory) then stores none of it, never a first part.
    const created = prepared.length === 0 ? [] : await this.#runEnqueue(connection, prepared);
    return prepared.map((job, i) => ({
      id: job.id,
      queue: this.name,
      task: job.task,
      created: created[i] ?? false,
    }));
  }

  async #runEnqueue(connection: RedisConnection, jobs: readonly PreparedJob[]): Promise<boolean[]> {
    const args = [this.keys.base, String(jobs.length)];
    for (const job of jobs) args.push(...job.argv);
    try {
      const reply = await runScript<number[]>(connection, scripts.enqueue, enqueueKeys(this.keys), args);
      return reply.map((n) => Number(n) === 1);
    } catch (error) {
      throw toTqError(error, `queue "${this.name}": enqueue failed`);
    }
  }

  /** Single enqueues made in the same tick share one script call (one round trip, one script run). */
  #submit(job: PreparedJob): Promise<boolean> {
    return new Promise<boolean>((resolve, reject) => {
      if (!this.#batch) {
        const batch: Batch = { jobs: [], settle: [] };
        this.#batch = batch;
        queueMicrotask(() => {
          if (this.#batch === batch) this.#batch = undefined;
          void this.#flush(batch);
        });
      }
      this.#batch.jobs.push(job);
      this.#batch.settle.push({ resolve, reject });
      if (this.#batch.jobs.length >= ENQUEUE_CHUNK) this.#batch = undefined;
    });
  }

  async #flush(batch: Batch): Promise<void> {
    try {
      const connection = await this.connection();
      const created = await this.#runEnqueue(connection, batch.jobs);
      for (const [i, s] of batch.settle.entries()) s.resolve(created[i] ?? false);
    } catch (error) {
      for (const s of batch.settle) s.reject(error);
    }
  }

  async #call<T>(what: string, fn: (connection: RedisConnection) => Promise<T>): Promise<T> {
    const connection = await this.connection();
    try {
      return await fn(connection);
    } catch (error) {
      throw toTqError(error, `queue "${this.name}": ${what}`);
    }
  }

  /** The job's current state, args, result and errors; null when no such job exists (or retention removed it). */
  async getJob(id: string): Promise<JobInfo | null> {
    if (!isValidJobId(id)) return null;
    return this.#call(`getJob(${id})`, async (c) => {
      const values = await c.send<Array<string | null>>(
        ["HMGET", this.keys.job(id), ...JOB_FIELDS],
        this.keys.base,
      );
      return parseJobInfo(this.name, id, values);
    });
  }

  async #getJobs(ids: readonly string[]): Promise<JobInfo[]> {
    return this.#call("list", async (c) => {
      const rows = await Promise.all(
        ids.map((id) =>
          c.send<Array<string | null>>(["HMGET", this.keys.job(id), ...JOB_FIELDS], this.keys.base),
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
   * stream on one shared connection.
   *
   * Rejects with `JOB_FAILED` (its `cause` is the recorded error) when the job ends failed, `TIMEOUT` when it has
   * not finished within `timeoutMs`, and `NOT_FOUND` when no such job exists.
   */
  async waitForResult<T extends Task>(id: string, options?: WaitOptions): Promise<TaskResult<T>>;
  async waitForResult(id: string, options?: WaitOptions): Promise<unknown>;
  async waitForResult(id: string, options: WaitOptions = {}): Promise<unknown> {
    const timeoutMs = options.timeoutMs ?? 30_000;
    this.#waiter ??= new ResultWaiter(this.keys, async () => (await this.connection()).duplicate());
    const waiter = this.#waiter;
    return new Promise<unknown>((resolve, reject) => {
      let done = false;
      let unsubscribe: () => void = () => {};
      const finish = (fn: () => void) => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        unsubscribe();
        this.#closeHandlers.delete(onClose);
        fn();
      };
      const check = async () => {
        let info: JobInfo | null;
        try {
          info = await this.getJob(id);
        } catch (error) {
          finish(() => reject(error));
          return;
        }
        if (!info) {
          finish(() =>
            reject(
              new TqError(
                "NOT_FOUND",
                `queue "${this.name}" has no job "${id}" (never enqueued, or removed by retention)`,
              ),
            ),
          );
        } else if (info.status === "completed") {
          finish(() => resolve(info.result));
        } else if (info.status === "failed") {
          finish(() => reject(jobFailed(this.name, info)));
        }
      };
      const timer = setTimeout(
        () =>
          finish(() =>
            reject(
              new TqError(
                "TIMEOUT",
                `job "${id}" in queue "${this.name}" did not finish within ${timeoutMs} ms`,
              ),
            ),
          ),
        timeoutMs,
      );
      const onClose = () =>
        finish(() =>
          reject(new TqError("CLOSED", `queue "${this.name}" was closed while waiting for job "${id}"`)),
        );
      this.#closeHandlers.add(onClose);
      waiter
        .subscribe(id, (event) => {
          if (event !== "progress" && event !== "retrying") void check();
        })
        .then((off) => {
          unsubscribe = off;
          if (done) off();
          else void check();
        })
        .catch((error) =>
          finish(() => reject(toTqError(error, `queue "${this.name}": waitForResult(${id})`))),
        );
    });
  }

  /** How many jobs are in each state. */
  async counts(): Promise<JobCounts> {
    const k = this.keys;
    return this.#call("counts", async (c) => {
      const [high, normal, low, scheduled, active, completed, failed] = await Promise.all([
        c.send<number>(["LLEN", k.pending.high], k.base),
        c.send<number>(["LLEN", k.pending.normal], k.base),
        c.send<number>(["LLEN", k.pending.low], k.base),
        c.send<number>(["ZCARD", k.scheduled], k.base),
        c.send<number>(["ZCARD", k.active], k.base),
        c.send<number>(["ZCARD", k.completed], k.base),
        c.send<number>(["ZCARD", k.failed], k.base),
      ]);
      return {
        scheduled: Number(scheduled),
        pending: Number(high) + Number(normal) + Number(low),
        active: Number(active),
        completed: Number(completed),
        failed: Number(failed),
      };
    });
  }

  /**
   * The jobs in one state. Pending jobs come in the order they will run, scheduled and active jobs soonest first,
   * completed and failed jobs newest first.
   */
  async list(status: JobStatus, options: ListOptions = {}): Promise<JobInfo[]> {
    const offset = options.offset ?? 0;
    const limit = options.limit ?? 50;
    if (!Number.isInteger(offset) || offset < 0 || !Number.isInteger(limit) || limit < 1) {
      throw new TqError("VALIDATION", "list: offset must be an integer >= 0 and limit an integer >= 1");
    }
    const k = this.keys;
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
          return out;
        }
        default:
          throw new TqError("VALIDATION", `list: unknown status ${JSON.stringify(status)}`);
      }
    });
    return this.#getJobs(ids);
  }

  /** Puts a failed job back to pending (a replay from the dead letter). False when the job is not failed. */
  async retry(id: string): Promise<boolean> {
    if (!isValidJobId(id)) return false;
    const moved = await this.#call(`retry(${id})`, (c) =>
      runScript<number>(c, scripts.retry, retryKeys(this.keys), [this.keys.base, "ids", "0", id]),
    );
    return Number(moved) === 1;
  }

  /** Puts every failed job back to pending. Returns how many. */
  async retryAllFailed(): Promise<number> {
    let total = 0;
    for (;;) {
      const moved = Number(
        await this.#call("retryAllFailed", (c) =>
          runScript<number>(c, scripts.retry, retryKeys(this.keys), [this.keys.base, "all", "1000"]),
        ),
      );
      total += moved;
      if (moved === 0) return total;
    }
  }

  /**
   * Removes a job that has not started (scheduled or pending). Returns false when there is no such job; throws
   * `INVALID_STATE` for a job that is active or finished.
   */
  async cancel(id: string): Promise<boolean> {
    if (!isValidJobId(id)) return false;
    const reply = await this.#call(`cancel(${id})`, (c) =>
      runScript<number | string>(c, scripts.cancel, cancelKeys(this.keys), [this.keys.base, id]),
    );
    if (typeof reply === "string") {
      throw new TqError(
        "INVALID_STATE",
        `job "${id}" in queue "${this.name}" is ${reply}; only scheduled or pending jobs can be cancelled`,
      );
    }
    return Number(reply) === 1;
  }

  /** Stops workers from claiming jobs of this queue (running jobs finish). Enqueueing still works. */
  async pause(): Promise<void> {
    await this.#call("pause", (c) => c.send(["HSET", this.keys.meta, "paused", "1"], this.keys.meta));
  }

  /** Lets workers claim again after {@link pause}. */
  async resume(): Promise<void> {
    await this.#call("resume", (c) => runScript(c, scripts.resume, resumeKeys(this.keys), []));
  }

  /** Whether the queue is paused. */
  async isPaused(): Promise<boolean> {
    const value = await this.#call("isPaused", (c) =>
      c.send<string | null>(["HGET", this.keys.meta, "paused"], this.keys.meta),
    );
    return value === "1";
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
    `job "${info.id}" (task "${info.task}") in queue "${queue}" failed after ${info.attempts} run(s): ${error?.message ?? "no error recorded"}`,
    { cause: error },
  );
}
