// A worker's entry in its queue's registry (`<base>worker:<id>`): the fields a Worker writes with each heartbeat
// (`heartbeat-2.lua`) and how a reader turns them into a WorkerInfo, stale or not.

/** The states a worker writes into its entry; readers add `stale` (see {@link parseWorkerInfo}). */
export const WORKER_WRITTEN_STATES = ["running", "draining"] as const;

/** Every state `queue.workers()` reports. */
export const WORKER_STATES = ["running", "draining", "stale"] as const;

/** What a worker is doing: consuming, closing (no new claims), or not consuming although it should be. */
export type WorkerState = (typeof WORKER_STATES)[number];

/** One worker of a queue, as its last heartbeat described it. Every time is epoch ms on the Redis clock. */
export interface WorkerInfo {
  /** The worker's id (its `workerId`): the jobs it claims carry it. */
  id: string;
  queue: string;
  /** The host name of the machine it runs on. */
  host: string;
  pid: number;
  /** How many jobs it runs at once. */
  concurrency: number;
  /** How many jobs it was running at its last heartbeat. */
  active: number;
  /** How many runs it has finished since it started (completed or failed). */
  processed: number;
  /** How many of those runs failed (retried or dead-lettered). */
  failed: number;
  /** The version of `@tq/worker` it runs. */
  version: string;
  startedAt: number;
  heartbeatAt: number;
  /** When its consume loop last ran (as of its last heartbeat). */
  loopAt: number;
  /**
   * `running`, `draining` while it closes, or `stale`: running, with free slots while jobs are pending, and its
   * consume loop has not run for longer than its `staleMs` (its `maxBlockMs` plus margins).
   */
  state: WorkerState;
}

/**
 * The fields of a worker's hash, each written by every heartbeat. `heartbeatAt`, `startedAt` and `loopAt` are set
 * by the script on the Redis clock; `staleMs` is the worker's own deadline: how long its loop may go without running
 * before it counts as stale (`maxBlockMs` + one heartbeat interval + a margin).
 */
export const WORKER_FIELDS = [
  "host",
  "pid",
  "concurrency",
  "version",
  "startedAt",
  "heartbeatAt",
  "loopAt",
  "active",
  "processed",
  "failed",
  "state",
  "maxBlockMs",
  "staleMs",
] as const;

/** One field of a worker's hash. */
export type WorkerField = (typeof WORKER_FIELDS)[number];

/** What a reader knows besides the hash: the Redis clock and whether the queue has jobs waiting to be claimed. */
export interface WorkerReadContext {
  queue: string;
  /** Now, on the Redis clock, in epoch ms. */
  nowMs: number;
  /** Whether jobs are pending (ready to be claimed) in the queue. */
  pending: boolean;
}

function toRecord(raw: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (Array.isArray(raw)) {
    for (let i = 0; i + 1 < raw.length; i += 2) out[String(raw[i])] = String(raw[i + 1]);
  } else if (raw instanceof Map) {
    for (const [k, v] of raw) out[String(k)] = String(v);
  } else if (raw && typeof raw === "object") {
    for (const [k, v] of Object.entries(raw)) out[k] = String(v);
  }
  return out;
}

function num(value: string | undefined): number {
  const n = Number(value);
  return Number.isFinite(n) ? n : 0;
}

/**
 * A worker's entry (an `HGETALL` reply) as a {@link WorkerInfo}; `undefined` when the hash is gone (it expired
 * between the ZSET read and this one) or is not a worker's.
 *
 * The stale rule: a `running` worker with free slots (`active < concurrency`) while jobs are pending is `stale` when
 * `nowMs - loopAt > staleMs`. A healthy idle worker's loop runs at least every `maxBlockMs` (its longest blocking
 * read), and `loopAt` is at most one heartbeat old, so only a loop that is stuck (a blocking connection that died
 * silently, a claim call that never returns) passes that deadline while work waits for it.
 */
export function parseWorkerInfo(
  id: string,
  raw: unknown,
  context: WorkerReadContext,
): WorkerInfo | undefined {
  const h = toRecord(raw);
  if (h.heartbeatAt === undefined || h.state === undefined) return undefined;
  const concurrency = num(h.concurrency);
  const active = num(h.active);
  const loopAt = num(h.loopAt);
  const written = h.state === "draining" ? "draining" : "running";
  const stale =
    written === "running" &&
    context.pending &&
    active < concurrency &&
    context.nowMs - loopAt > num(h.staleMs);
  return {
    id,
    queue: context.queue,
    host: h.host ?? "",
    pid: num(h.pid),
    concurrency,
    active,
    processed: num(h.processed),
    failed: num(h.failed),
    version: h.version ?? "",
    startedAt: num(h.startedAt),
    heartbeatAt: num(h.heartbeatAt),
    loopAt,
    state: stale ? "stale" : written,
  };
}
