/**
 * Numbers the Lua scripts and the TypeScript share. Each is defined here once; the generate step writes the ones a
 * script uses into it as Lua locals (see `LUA_CONSTANTS`).
 */

/**
 * The event stream (`<base>events`) holds at most about this many entries (`XADD … MAXLEN ~`): the cap when every
 * entry carries one job's event (one-by-one enqueues, a worker at concurrency 1).
 */
export const MAX_EVENTS = 2000;

/**
 * The event stream keeps about this many job events (ids) across its entries, so its memory is bounded by events
 * and not by how many ids a batch writes into one entry: each write trims the stream to
 * `MAX_EVENT_IDS / <ids in the entry>` entries, never fewer than {@link MIN_EVENTS} nor more than {@link MAX_EVENTS}.
 */
export const MAX_EVENT_IDS = 5000;

/** The fewest entries a trim of the event stream keeps, however many ids each entry holds. */
export const MIN_EVENTS = 10;

/** How many entries a job's `errors` history keeps (the newest); `errn` counts every failed run. */
export const MAX_ERRORS_KEPT = 10;

/**
 * The largest error one failed run may store, in bytes of JSON: the worker caps errors field by field, and the
 * `take` script replaces a larger one with a `PAYLOAD_TOO_LARGE` error.
 */
export const MAX_ERROR_BYTES = 65536;

/**
 * Per-minute throughput (completed and failed jobs, `<base>throughput`) is kept for this many minutes: the window
 * `queue.stats()` reports, and the bound on the hash's size.
 */
export const THROUGHPUT_WINDOW_MINUTES = 60;

/** An event carries at most this many bytes of its error's message (the job's record keeps the whole error). */
export const EVENT_ERROR_MESSAGE_BYTES = 256;

/** How many ARGV values one job takes in the enqueue script (and in the scheduler's fire script). */
export const ENQUEUE_ARGS_PER_JOB = 12;

/** Retention applied when the queue's meta hash holds no setting: newest 1,000 completed, 10,000 failed, no age limit. */
export const DEFAULT_RETENTION = {
  completed: { count: 1000, ageMs: 0 },
  failed: { count: 10000, ageMs: 0 },
} as const;

/** The `take` and `sweep` scripts' next-wake value when nothing is scheduled or active. */
export const NEXT_WAKE_NONE = -1;

/** The `take` script's next-wake value when it did not compute one (every slot asked for was filled). */
export const NEXT_WAKE_NOT_COMPUTED = -2;

/** The most expired worker-registry entries one `listWorkers` call removes (the rest go on the next call). */
export const PRUNE_WORKERS_LIMIT = 1000;

/** Every constant the Lua scripts use, by the name they use it under. */
export const LUA_CONSTANTS = {
  MAX_EVENTS,
  MAX_EVENT_IDS,
  MIN_EVENTS,
  MAX_ERRORS_KEPT,
  MAX_ERROR_BYTES,
  THROUGHPUT_WINDOW_MINUTES,
  EVENT_ERROR_MESSAGE_BYTES,
  ENQUEUE_ARGS_PER_JOB,
  DEFAULT_KEEP_COMPLETED: DEFAULT_RETENTION.completed.count,
  DEFAULT_COMPLETED_AGE_MS: DEFAULT_RETENTION.completed.ageMs,
  DEFAULT_KEEP_FAILED: DEFAULT_RETENTION.failed.count,
  DEFAULT_FAILED_AGE_MS: DEFAULT_RETENTION.failed.ageMs,
  NEXT_WAKE_NONE,
  NEXT_WAKE_NOT_COMPUTED,
  PRUNE_WORKERS_LIMIT,
} as const satisfies Record<string, number>;
