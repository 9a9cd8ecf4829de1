import { type Priority, quote, TqError } from "@tq/job-schema";

/** Every Redis key of one queue. All of them share the `{queue}` hash tag, so they live in one cluster slot. */
export interface QueueKeys {
  /** `<prefix>:{<queue>}:` — the start of every key below; `base + "job:" + id` is a job's hash. */
  readonly base: string;
  /** HASH per job: its envelope, state, attempts, fencing token, timestamps, result and errors. */
  job(id: string): string;
  /** LIST per priority of ids ready to run (pushed on the left, claimed from the right: FIFO). */
  readonly pending: Readonly<Record<Priority, string>>;
  /** ZSET of ids waiting for their run time (delayed jobs and retries in backoff), scored by run-at ms. */
  readonly scheduled: string;
  /** ZSET of claimed ids, scored by lease deadline ms (Redis clock). */
  readonly active: string;
  /** ZSET of completed ids, scored by finish time ms; trimmed by retention. */
  readonly completed: string;
  /** ZSET of failed ids (the dead letter), scored by finish time ms; trimmed by retention. */
  readonly failed: string;
  /** ZSET that idle workers block on (BZPOPMIN): touched when work becomes ready or the next run time moves. */
  readonly marker: string;
  /** STREAM of lifecycle events, capped: at most one entry per script call (see `decodeEventEntry`). */
  readonly events: string;
  /**
   * Pub/Sub channel (not a key: nothing is stored) on which the `cancel` script announces a running job it failed,
   * as `<id> <token>`, so that the worker running it aborts the run at once. It carries the queue's hash tag, so a
   * sharded channel (SPUBLISH) would live in the queue's slot.
   */
  readonly cancelChannel: string;
  /**
   * HASH of per-minute counts of completed and failed jobs: field `c:<minute>` / `f:<minute>` (minute = epoch ms /
   * 60,000, Redis clock) -> count. Written by the scripts that finish jobs; a minute that leaves the
   * `THROUGHPUT_WINDOW_MINUTES` window moves into meta's `total:completed` / `total:failed` at the next count of its
   * kind, so the total of a kind is meta's plus the minutes still here.
   */
  readonly throughput: string;
  /**
   * ZSET of the job starts inside the queue's rate-limit window (member = the claim's fencing token, score = the
   * Redis-clock ms of the start): the `take` script drops the starts older than the window and claims only while
   * fewer than the limit remain. Exists only while a rate limit is set; expires one window after the last start.
   */
  readonly starts: string;
  /**
   * STRING per dedupe window (`<base>dedupe:<key>`): the id of the window's job, expiring with the window. Built by
   * the enqueue script from BASE, like job keys.
   */
  dedupe(key: string): string;
  /**
   * ZSET per job group (`<base>group:<name>`): the group's pending job ids, scored so that higher priorities come
   * first and FIFO within one (rank × 1e13 + sequence; a job put back at the front gets rank × 1e13 − sequence).
   * Built by the scripts from BASE, like job keys.
   */
  group(name: string): string;
  /**
   * ZSET per job group (`<base>gstarts:<name>`) while a group rate limit is set: the group's starts inside the
   * window (member = the claim's fencing token, score = its Redis-clock ms); expires one window after its last start.
   */
  groupStarts(name: string): string;
  /**
   * ZSET, the ring of groups served round robin: the groups that have pending jobs, a free slot under the group
   * concurrency and an open rate window, scored by the turn they joined at (meta `gturn`). A claim takes the
   * lowest-scored group and puts it back at the end.
   */
  readonly groups: string;
  /**
   * HASH: group name -> how many of its jobs are active, for every group that has pending or active jobs (0 while
   * it has only pending ones). `queue.groups()` pages through it with HSCAN.
   */
  readonly groupActive: string;
  /**
   * ZSET of groups whose rate window is full although they have pending jobs, scored by the Redis-clock ms when the
   * window opens; `take` moves the due ones back to the ring.
   */
  readonly groupWait: string;
  /**
   * HASH of queue-level state: paused flag, fencing counter, retention settings, totals, and the flow-control
   * settings (`rlMax`/`rlMs` rate limit, `conc` global concurrency, `holdUntil` claims held by `ctx.rateLimit`,
   * `gconc` group concurrency, `grlMax`/`grlMs` group rate limit) and the group counters (`gpending` jobs pending in
   * groups, `gseq` the order of jobs in groups, `gturn` the ring's turns, `gflip` which kind a one-job claim serves).
   */
  readonly meta: string;
  /**
   * HASH: schedule name -> the latest tick (epoch ms) fired into this queue. The `fire` script checks and sets it
   * together with the enqueue, which makes each tick fire at most once.
   */
  readonly fired: string;
  /**
   * SET per worker of the job ids it claimed (`<base>claims:<workerId>`): after a claim whose reply was lost, the
   * `recover` script finds those jobs there. Expires `max(2 × leaseMs, 60 s)` after the worker's last claim.
   */
  claims(workerId: string): string;
  /**
   * ZSET of the workers consuming this queue (the registry): member = worker id, score = the Redis-clock ms after
   * which the entry counts as gone (its last heartbeat plus its TTL). Readers prune what has expired.
   */
  readonly workers: string;
  /** HASH per worker (`<base>worker:<id>`): host, pid, concurrency, counters, loop time; expires with its TTL. */
  worker(workerId: string): string;
}

/** The Redis keys of the schedules under one prefix. Both share one hash slot, so one script can use both. */
export interface ScheduleKeys {
  /** HASH: schedule name -> its definition (JSON). `<prefix>:schedules`. */
  readonly defs: string;
  /**
   * ZSET: schedule name -> its next fire time (epoch ms, Redis clock). `{<prefix>:schedules}:next`: the hash tag
   * is the name of `defs`, which puts both keys in the same cluster slot.
   */
  readonly next: string;
}

/** The default key prefix. */
export const DEFAULT_PREFIX = "tq";

// No braces (a `{…}` in the prefix would become the keys' hash tag and could name another queue's slot), no
// whitespace or control characters (they end up in log lines), at most 100 characters.
const PREFIX = /^[^{}\s\p{Cc}]{1,100}$/u;

/** Whether `prefix` is a valid key prefix: 1–100 characters, no braces, whitespace or control characters. */
export function isValidPrefix(prefix: unknown): prefix is string {
  return typeof prefix === "string" && PREFIX.test(prefix);
}

/**
 * Returns `prefix` (or the default) once it is known to be valid; throws a `VALIDATION` {@link TqError}
 * otherwise. Every function that builds keys calls it, so no class can write outside its namespace.
 */
export function checkPrefix(prefix: unknown = DEFAULT_PREFIX): string {
  if (!isValidPrefix(prefix)) {
    throw new TqError(
      "VALIDATION",
      `prefix must be 1-100 characters without braces, whitespace or control characters, got ${quote(prefix)}`,
    );
  }
  return prefix;
}

/** The SET of known queue names under a prefix (outside any queue's hash slot). */
export function queuesKey(prefix: string = DEFAULT_PREFIX): string {
  return `${checkPrefix(prefix)}:queues`;
}

/** The HASH of named schedules under a prefix. */
export function schedulesKey(prefix: string = DEFAULT_PREFIX): string {
  return `${checkPrefix(prefix)}:schedules`;
}

/** The schedule keys under `prefix`. */
export function scheduleKeys(prefix: string = DEFAULT_PREFIX): ScheduleKeys {
  const defs = schedulesKey(prefix);
  return { defs, next: `{${defs}}:next` };
}

const QUEUE_NAME = /^[A-Za-z0-9_.:-]{1,200}$/;

/** Whether `name` is a valid queue name: 1–200 characters of letters, digits, `_ . : -` (no braces). */
export function isValidQueueName(name: unknown): name is string {
  return typeof name === "string" && QUEUE_NAME.test(name);
}

/**
 * Returns `queue` once it is known to be a valid queue name; throws a `VALIDATION` {@link TqError} otherwise.
 * `context` (what was given the name, e.g. `schedule "nightly"`) opens the message.
 */
export function checkQueueName(queue: unknown, context?: string): string {
  if (!isValidQueueName(queue)) {
    throw new TqError(
      "VALIDATION",
      `${context ? `${context}: ` : ""}queue name must be 1-200 characters of letters, digits and _ . : - ` +
        `(got ${quote(queue)})`,
    );
  }
  return queue;
}

/**
 * The Redis key layout of queue `queue` under `prefix`. Throws a `VALIDATION` {@link TqError} for an invalid queue
 * name or prefix.
 */
export function queueKeys(queue: string, prefix: string = DEFAULT_PREFIX): QueueKeys {
  checkQueueName(queue);
  const base = `${checkPrefix(prefix)}:{${queue}}:`;
  return {
    base,
    job: (id) => `${base}job:${id}`,
    pending: { high: `${base}pending:high`, normal: `${base}pending:normal`, low: `${base}pending:low` },
    scheduled: `${base}scheduled`,
    active: `${base}active`,
    completed: `${base}completed`,
    failed: `${base}failed`,
    marker: `${base}marker`,
    events: `${base}events`,
    cancelChannel: `${base}cancel`,
    throughput: `${base}throughput`,
    starts: `${base}starts`,
    dedupe: (key) => `${base}dedupe:${key}`,
    group: (name) => `${base}group:${name}`,
    groupStarts: (name) => `${base}gstarts:${name}`,
    groups: `${base}groups`,
    groupActive: `${base}gactive`,
    groupWait: `${base}gwait`,
    meta: `${base}meta`,
    fired: `${base}fired`,
    claims: (workerId) => `${base}claims:${workerId}`,
    workers: `${base}workers`,
    worker: (workerId) => `${base}worker:${workerId}`,
  };
}
