import type { RedisConnection } from "@tq/connection";
import { PRIORITIES } from "@tq/job-schema";
import { type QueueKeys, type RateLimit, redisTimeMs, THROUGHPUT_WINDOW_MINUTES } from "@tq/protocol";
import type { JobCounts } from "./queue.js";

/** What `queue.stats()` returns: a queue's state in one look. */
export interface QueueStats {
  counts: JobCounts;
  paused: boolean;
  /**
   * Milliseconds the oldest pending job has been waiting to run (since its run time, or since it was created); 0
   * when nothing is pending. Read from the oldest job of each priority's list and, for jobs in groups, from the
   * first job of the group whose turn is next (groups without a free slot are not looked at: bounded reads only).
   */
  oldestPendingAgeMs: number;
  /** How many workers are registered and heartbeating (their registry entry has not run out). */
  workers: number;
  /**
   * Jobs completed per minute (Redis clock) over the last `THROUGHPUT_WINDOW_MINUTES` (60) minutes, oldest first;
   * the last element is the current minute, still counting.
   */
  completedPerMinute: number[];
  /** Jobs that ended failed (dead-lettered) per minute, as {@link QueueStats.completedPerMinute}. */
  failedPerMinute: number[];
  /** How many jobs went through each step since the queue was created, counted in Redis by the scripts. */
  totals: QueueTotals;
  /** The queue's flow-control settings, as `setRateLimit`, `setConcurrency` and `ctx.rateLimit` left them. */
  limits: QueueLimits;
}

/** A queue's flow-control settings, enforced in Redis across every worker. */
export interface QueueLimits {
  /** At most `max` job starts in any interval of `durationMs`; null when unset. */
  rateLimit: RateLimit | null;
  /** At most this many jobs active at once; null when unset. */
  concurrency: number | null;
  /** While a handler's `ctx.rateLimit(ms)` holds claims: when the hold ends (Redis-clock epoch ms); else null. */
  heldUntil: number | null;
  /** At most this many jobs of one group active at once; null when unset. */
  groupConcurrency: number | null;
  /** At most `max` starts of one group in any interval of `durationMs`; null when unset. */
  groupRateLimit: RateLimit | null;
}

/** The `meta` fields of {@link QueueLimits}. */
const LIMIT_FIELDS = ["rlMax", "rlMs", "conc", "holdUntil", "gconc", "grlMax", "grlMs"];

const rate = (max: number, durationMs: number): RateLimit | null =>
  Number.isInteger(max) && Number.isInteger(durationMs) ? { max, durationMs } : null;

/** {@link QueueLimits} from the meta fields `LIMIT_FIELDS` and the Redis clock. */
export function decodeLimits(values: ReadonlyArray<string | null | undefined>, now: number): QueueLimits {
  const [rlMax, rlMs, conc, holdUntil, gconc, grlMax, grlMs] = values.map((v) =>
    v == null ? Number.NaN : Number(v),
  ) as number[] as [number, number, number, number, number, number, number];
  return {
    rateLimit: rate(rlMax, rlMs),
    concurrency: Number.isInteger(conc) ? conc : null,
    heldUntil: Number.isFinite(holdUntil) && holdUntil > now ? holdUntil : null,
    groupConcurrency: Number.isInteger(gconc) ? gconc : null,
    groupRateLimit: rate(grlMax, grlMs),
  };
}

/**
 * Counts since a queue was created, kept in Redis (its `meta` hash) and added to by the scripts in the same call
 * that moves the jobs, so they agree with the queue's events and never go down.
 */
export interface QueueTotals {
  /** New jobs stored, and failed jobs sent back by `retry` / `retryAllFailed` (each `enqueued` event). */
  enqueued: number;
  completed: number;
  /** Jobs that ended in the dead letter. */
  failed: number;
  /** Failed runs that were retried (each `retrying` event). */
  retried: number;
  /** Runs whose lease ran out or whose pool child died, retried (each `stalled` event). */
  stalled: number;
}

/** The `meta` fields of {@link QueueTotals}, in its order. */
const TOTAL_FIELDS = ["total:enqueued", "total:completed", "total:failed", "total:retrying", "total:stalled"];

/** How many jobs are in each state (pending counts the jobs waiting in groups too): eight small reads, pipelined. */
export async function readCounts(c: RedisConnection, k: QueueKeys): Promise<JobCounts> {
  const [high, normal, low, scheduled, active, completed, failed, grouped] = await Promise.all([
    c.send<number>(["LLEN", k.pending.high], k.base),
    c.send<number>(["LLEN", k.pending.normal], k.base),
    c.send<number>(["LLEN", k.pending.low], k.base),
    c.send<number>(["ZCARD", k.scheduled], k.base),
    c.send<number>(["ZCARD", k.active], k.base),
    c.send<number>(["ZCARD", k.completed], k.base),
    c.send<number>(["ZCARD", k.failed], k.base),
    c.send<string | null>(["HGET", k.meta, "gpending"], k.base),
  ]);
  return {
    scheduled: Number(scheduled),
    pending: Number(high) + Number(normal) + Number(low) + Math.max(0, Number(grouped ?? 0) || 0),
    active: Number(active),
    completed: Number(completed),
    failed: Number(failed),
  };
}

/**
 * The throughput hash read once: the per-minute counts of each kind ("c", "f") for the window ending at `minute`,
 * oldest first, and the sum of every minute the hash still holds of that kind (the part of the total that has not
 * moved into meta yet).
 */
function readThroughput(
  c: RedisConnection,
  k: QueueKeys,
  minute: number,
): Promise<Record<"c" | "f", { window: number[]; held: number }>> {
  return c.send<string[] | Record<string, string>>(["HGETALL", k.throughput], k.base).then((reply) => {
    const entries: Array<[string, string]> = Array.isArray(reply)
      ? Array.from({ length: reply.length >> 1 }, (_, i) => [reply[2 * i] ?? "", reply[2 * i + 1] ?? ""])
      : Object.entries(reply ?? {});
    const first = minute - THROUGHPUT_WINDOW_MINUTES + 1;
    const out = {
      c: { window: new Array<number>(THROUGHPUT_WINDOW_MINUTES).fill(0), held: 0 },
      f: { window: new Array<number>(THROUGHPUT_WINDOW_MINUTES).fill(0), held: 0 },
    };
    for (const [field, value] of entries) {
      const kind = field[0];
      if ((kind !== "c" && kind !== "f") || field[1] !== ":") continue;
      const count = Number(value) || 0;
      const m = Number(field.slice(2));
      out[kind].held += count;
      const window = out[kind].window;
      if (m >= first && m <= minute) window[m - first] = (window[m - first] ?? 0) + count;
    }
    return out;
  });
}

/**
 * A queue's {@link QueueStats} in two pipelined round trips of bounded work (three while groups have a turn): counts,
 * the paused flag, the Redis clock, the tail of each pending list and the group whose turn is next (then that group's
 * first job), then the tails' records, the live registry entries and the window of per-minute counts.
 */
export async function readStats(c: RedisConnection, k: QueueKeys): Promise<QueueStats> {
  const [counts, meta, time, nextGroup, ...tails] = await Promise.all([
    readCounts(c, k),
    c.send<Array<string | null>>(["HMGET", k.meta, "paused", ...TOTAL_FIELDS, ...LIMIT_FIELDS], k.base),
    c.send<string[]>(["TIME"], k.base),
    c.send<string[]>(["ZRANGE", k.groups, "0", "0"], k.base),
    ...PRIORITIES.map((p) => c.send<string | null>(["LINDEX", k.pending[p], "-1"], k.base)),
  ]);
  const now = redisTimeMs(time);
  const minute = Math.floor(now / 60_000);
  const oldest = tails.filter((id): id is string => typeof id === "string");
  const group = nextGroup[0];
  if (group !== undefined) {
    const [head] = await c.send<string[]>(["ZRANGE", k.group(String(group)), "0", "0"], k.base);
    if (head !== undefined) oldest.push(String(head));
  }
  const [records, workers, throughput] = await Promise.all([
    Promise.all(
      oldest.map((id) => c.send<Array<string | null>>(["HMGET", k.job(id), "runAt", "createdAt"], k.base)),
    ),
    c.send<number>(["ZCOUNT", k.workers, String(now), "+inf"], k.base),
    readThroughput(c, k, minute),
  ]);
  let oldestPendingAgeMs = 0;
  for (const [runAt, createdAt] of records) {
    const since = Number(runAt ?? createdAt);
    if (Number.isFinite(since) && since > 0) oldestPendingAgeMs = Math.max(oldestPendingAgeMs, now - since);
  }
  const [paused, enqueued, completed, failed, retried, stalled, ...limits] = meta;
  const total = (value: string | null | undefined) => Number(value ?? 0) || 0;
  return {
    counts,
    paused: paused === "1",
    oldestPendingAgeMs,
    workers: Number(workers),
    completedPerMinute: throughput.c.window,
    failedPerMinute: throughput.f.window,
    totals: {
      enqueued: total(enqueued),
      // minutes still in the throughput hash have not moved into meta's totals yet
      completed: total(completed) + throughput.c.held,
      failed: total(failed) + throughput.f.held,
      retried: total(retried),
      stalled: total(stalled),
    },
    limits: decodeLimits(limits, now),
  };
}
