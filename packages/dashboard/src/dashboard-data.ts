import {
  type GroupsPage,
  type JobError,
  type JobInfo,
  type JobStatus,
  Queue,
  type QueueStats,
  type WorkerInfo,
} from "@tq/client";
import { type ConnectionOption, RedisConnection } from "@tq/connection";
import { isTqError, quote, TqError } from "@tq/job-schema";
import {
  jobTimeline,
  listQueueNames,
  purge,
  queueExists,
  queueKeys,
  readJobEvents,
  redisTimeMs,
  type TimelineEntry,
} from "@tq/protocol";
import { type ScheduleInfo, Scheduler } from "@tq/scheduler";
import { age } from "./views/format.js";

/** One finished job's wait: when it started (epoch ms) and how long it had waited, in ms. */
export type WaitPoint = [startedAt: number, waitedMs: number];

/** A queue as the overview and the live updates show it. */
export interface QueueSnapshot {
  queue: string;
  stats: QueueStats;
  /** The waits of the newest completed jobs, oldest start first. */
  waits: WaitPoint[];
  /** When it was read, epoch ms on the Redis clock: the throughput series ends at this minute. */
  at: number;
}

/** One page of one state of a queue. */
export interface JobPage {
  status: JobStatus;
  /** 1-based. */
  page: number;
  /** At least 1 (an empty state has one empty page). */
  pages: number;
  total: number;
  jobs: JobInfo[];
}

/** Everything the job page shows. */
export interface JobDetail {
  job: JobInfo;
  /** The job options from its record (backoff, timeout…), without tq's own entries. */
  options: Record<string, unknown>;
  timeline: TimelineEntry[];
  errors: JobError[];
}

/** Jobs per page of a state. */
export const PAGE_SIZE = 50;

/** About how many job groups the queue page lists (the first HSCAN page; `tq groups` pages through all). */
export const GROUPS_SHOWN = 50;

/** How many of the newest completed jobs the wait chart shows. */
export const WAIT_SAMPLE = 60;

const quiet = { info: () => {}, warn: () => {}, error: () => {} };

/**
 * What the dashboard reads and changes in Redis, on one connection (opened on first use): the same client and
 * protocol calls as the `tq` command. A queue name from a request is checked to exist before a `Queue` is opened
 * on it, so a mistyped name never writes anything.
 */
export class DashboardData {
  readonly prefix: string;
  readonly #option: ConnectionOption | undefined;
  #connection: Promise<RedisConnection> | undefined;
  readonly #queues = new Map<string, Queue>();
  #scheduler: Scheduler | undefined;
  #closed = false;

  constructor(connection: ConnectionOption | undefined, prefix: string) {
    this.#option = connection;
    this.prefix = prefix;
  }

  /** The connection, opened on first use (and again after a failed attempt). */
  connection(): Promise<RedisConnection> {
    if (this.#closed) return Promise.reject(new TqError("CLOSED", "the dashboard is closed"));
    if (!this.#connection) {
      const opening = RedisConnection.open(this.#option, { onError: () => {} });
      this.#connection = opening;
      opening.catch(() => {
        if (this.#connection === opening) this.#connection = undefined;
      });
    }
    return this.#connection;
  }

  async #queue(name: string): Promise<Queue> {
    const connection = await this.connection();
    let queue = this.#queues.get(name);
    if (!queue) {
      queue = new Queue(name, { connection: connection.client, prefix: this.prefix, logger: quiet });
      this.#queues.set(name, queue);
    }
    return queue;
  }

  /** The Redis clock, epoch ms. */
  async now(): Promise<number> {
    const c = await this.connection();
    return redisTimeMs(await c.send<[unknown, unknown]>(["TIME"]));
  }

  /** The known queue names, sorted. */
  async queueNames(): Promise<string[]> {
    return listQueueNames(await this.connection(), this.prefix);
  }

  /** The queue named `name` if it exists (see {@link queueExists}), else null. */
  async existingQueue(name: string): Promise<Queue | null> {
    if (this.#queues.has(name)) return this.#queue(name);
    return (await queueExists(await this.connection(), this.prefix, name)) ? this.#queue(name) : null;
  }

  /** A queue's stats and recent waits. */
  async snapshot(queue: Queue): Promise<QueueSnapshot> {
    const [stats, recent, at] = await Promise.all([
      queue.stats(),
      queue.list("completed", { offset: 0, limit: WAIT_SAMPLE }),
      this.now(),
    ]);
    const waits: WaitPoint[] = [];
    for (const job of recent) {
      if (job.startedAt !== undefined && job.waitedMs !== undefined)
        waits.push([job.startedAt, job.waitedMs]);
    }
    waits.sort((a, b) => a[0] - b[0]);
    return { queue: queue.name, stats, waits, at };
  }

  /** Every known queue's snapshot. */
  async overview(): Promise<QueueSnapshot[]> {
    const names = await this.queueNames();
    return Promise.all(names.map(async (name) => this.snapshot(await this.#queue(name))));
  }

  /**
   * One page of a state: its ids by ZRANGE/LRANGE of that page only and its size from `counts()`, so the first,
   * last and any page in between cost the same on a state with millions of jobs. `page` past the last is a
   * `NOT_FOUND` error.
   */
  async page(queue: Queue, status: JobStatus, page: number): Promise<JobPage> {
    const counts = await queue.counts();
    const total = counts[status];
    const pages = Math.max(1, Math.ceil(total / PAGE_SIZE));
    if (page > pages) {
      throw new TqError(
        "NOT_FOUND",
        `queue ${quote(queue.name)} has ${total} ${status} job(s): page ${page} is past the last page, ${pages}`,
      );
    }
    const jobs =
      total === 0 ? [] : await queue.list(status, { offset: (page - 1) * PAGE_SIZE, limit: PAGE_SIZE });
    return { status, page, pages, total, jobs };
  }

  /** The first page of a queue's job groups (about {@link GROUPS_SHOWN}), for the queue page. */
  groups(queue: Queue): Promise<GroupsPage> {
    return queue.groups({ limit: GROUPS_SHOWN });
  }

  /** A job's fields, options, timeline and errors; null when the queue has no such job. */
  async job(queue: Queue, id: string): Promise<JobDetail | null> {
    const c = await this.connection();
    const keys = queueKeys(queue.name, this.prefix);
    const [job, record, events] = await Promise.all([
      queue.getJob(id),
      c.send<Array<string | null>>(["HMGET", keys.job(id), "runAt", "opts"], keys.base),
      readJobEvents(c, keys, id),
    ]);
    if (!job) return null;
    const [runAt, opts] = record;
    const runAtMs = runAt ? Number(runAt) : undefined;
    const timeline = jobTimeline({ ...job, ...(runAtMs !== undefined ? { runAtMs } : {}) }, events, age);
    return { job, options: jobOptions(opts), timeline, errors: job.errors ?? [] };
  }

  /** Every known queue's workers, and the Redis clock to age their heartbeats by. */
  async workers(): Promise<{ workers: WorkerInfo[]; now: number }> {
    const names = await this.queueNames();
    const [lists, now] = await Promise.all([
      Promise.all(names.map(async (name) => (await this.#queue(name)).workers())),
      this.now(),
    ]);
    return { workers: lists.flat(), now };
  }

  /** The named schedules under the prefix (nothing is started: `listSchedules` only reads). */
  async schedules(): Promise<{ schedules: ScheduleInfo[]; now: number }> {
    const connection = await this.connection();
    if (!this.#scheduler) {
      this.#scheduler = new Scheduler({ connection: connection.client, prefix: this.prefix, logger: quiet });
      this.#scheduler.on("error", () => {});
    }
    const [schedules, now] = await Promise.all([this.#scheduler.listSchedules(), this.now()]);
    return { schedules, now };
  }

  /** Deletes every job of a finished state with its record, 1,000 per Redis call (as `tq purge`). */
  async purge(queue: Queue, status: "completed" | "failed"): Promise<number> {
    const c = await this.connection();
    const keys = queueKeys(queue.name, this.prefix);
    let total = 0;
    for (;;) {
      const step = await purge(c, keys, { status });
      total += step.removed;
      if (step.remaining === 0 || step.removed === 0) return total;
    }
  }

  /** Closes the queues, the scheduler handle and the connection (a client the user gave is left open). */
  async close(): Promise<void> {
    this.#closed = true;
    await Promise.allSettled([...this.#queues.values()].map((queue) => queue.close()));
    await this.#scheduler?.close().catch(() => {});
    const connection = this.#connection;
    this.#connection = undefined;
    if (connection) await connection.then((c) => c.close()).catch(() => {});
  }
}

/** The job options of a record's `opts` field, without the trace context tq keeps there. */
function jobOptions(raw: string | null | undefined): Record<string, unknown> {
  if (!raw) return {};
  try {
    const parsed: unknown = JSON.parse(raw);
    if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) return {};
    const { tc: _trace, ...rest } = parsed as Record<string, unknown>;
    return rest;
  } catch {
    return {};
  }
}

/** Whether an error is tq's `code`. */
export function hasCode(error: unknown, code: string): boolean {
  return isTqError(error) && error.code === code;
}
