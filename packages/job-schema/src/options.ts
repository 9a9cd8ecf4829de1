import { type BackoffOptions, DEFAULT_BACKOFF, type ResolvedBackoff, resolveBackoff } from "./backoff.js";
import { TqError } from "./errors.js";
import { PRIORITIES, type Priority } from "./priority.js";
import { quote } from "./quote.js";
import { checkTimerMs } from "./timers.js";

/** Options for one job, given to `enqueue`. */
export interface JobOptions {
  /** Jobs of a higher priority are claimed before any job of a lower one. @defaultValue "normal" */
  priority?: Priority;
  /** Run the job no earlier than this many milliseconds from now (measured on the Redis clock). */
  delayMs?: number;
  /** Run the job no earlier than this time (a `Date` or epoch milliseconds). Exclusive with `delayMs`. */
  runAt?: Date | number;
  /** How many times a failed run is retried: a job runs at most `maxRetries + 1` times. @defaultValue 3 */
  maxRetries?: number;
  /** The wait before each retry. @defaultValue exponential from 1 s, capped at one hour, with jitter */
  backoff?: BackoffOptions;
  /** A run that takes longer than this many milliseconds fails (and is retried if retries remain). */
  timeoutMs?: number;
  /**
   * An idempotency key used as the job's id: enqueueing an id that exists returns the existing job and
   * creates nothing. 1–200 characters, no braces. @defaultValue a random UUID
   */
  jobId?: string;
  /**
   * Turns a burst of like jobs into one, by key, across every producer: `"throttle"` (the default) keeps the first
   * job of each window of `ttlMs` and answers later ones with it (`duplicate: true`); `"debounce"` runs the job
   * `ttlMs` after the last enqueue of the burst, with the latest args (each duplicate replaces the waiting job's
   * args and pushes its run time back, never past `maxDelayMs` after the first).
   */
  dedupe?: DedupeOptions;
  /**
   * The job's group, e.g. `tenant-42`: at most `groupConcurrency` jobs of one group are active at once (see
   * `queue.setGroupConcurrency`), groups are served round robin so a large group cannot starve a small one, and a
   * group rate limit applies to each group on its own. Priorities still order the jobs within a group. 1 to
   * {@link MAX_GROUP_BYTES} (128) bytes of UTF-8 without control characters. @defaultValue none
   */
  group?: string;
}

/** The longest group name, in UTF-8 bytes. */
export const MAX_GROUP_BYTES = 128;

const CONTROL = /\p{Cc}/u;

/** Whether `name` may be used as a job group: 1 to {@link MAX_GROUP_BYTES} bytes of UTF-8, no control characters. */
export function isValidGroupName(name: unknown): name is string {
  if (typeof name !== "string" || name === "" || CONTROL.test(name)) return false;
  return new TextEncoder().encode(name).length <= MAX_GROUP_BYTES;
}

/** Returns `name` once it is a valid group name; throws a `VALIDATION` {@link TqError} naming the problem otherwise. */
export function checkGroupName(name: unknown): string {
  if (isValidGroupName(name)) return name;
  const problem =
    typeof name !== "string"
      ? `a string, got ${name === null ? "null" : typeof name}`
      : name === ""
        ? "a non-empty string"
        : CONTROL.test(name)
          ? "free of control characters"
          : `at most ${MAX_GROUP_BYTES} bytes of UTF-8, got ${new TextEncoder().encode(name).length}`;
  throw new TqError(
    "VALIDATION",
    `group must be ${problem}${typeof name === "string" ? ` (${quote(name)})` : ""}`,
  );
}

/** {@link JobOptions.dedupe}. */
export interface DedupeOptions {
  /** What makes jobs alike, e.g. `reindex-user-42`: 1–200 characters without whitespace, braces or control characters. */
  key: string;
  /** The window, in milliseconds (Redis clock): from the first enqueue (throttle) or the latest (debounce). */
  ttlMs: number;
  /** @defaultValue "throttle" */
  mode?: "throttle" | "debounce";
  /** Debounce only: the job runs at most this many milliseconds after the burst's first enqueue. */
  maxDelayMs?: number;
}

/** The options a job carries in its envelope, every default filled in. */
export interface StoredJobOptions {
  priority: Priority;
  maxRetries: number;
  /** Absent when the job uses {@link DEFAULT_BACKOFF}, to keep the stored record small. */
  backoff?: ResolvedBackoff;
  timeoutMs?: number;
}

/** Job options checked and resolved: what is stored, plus when the job first runs. */
export interface ResolvedJobOptions extends StoredJobOptions {
  backoff: ResolvedBackoff;
  /** Milliseconds from now (Redis clock) before the first run; 0 for now. Set when `delayMs` was given. */
  delayMs: number;
  /** Absolute epoch milliseconds of the first run, when `runAt` was given. */
  runAt?: number;
  jobId?: string;
  dedupe?: Required<Omit<DedupeOptions, "maxDelayMs">> & { maxDelayMs: number };
  group?: string;
}

/** The longest dedupe window and debounce delay: 30 days. */
export const MAX_DEDUPE_MS = 30 * 86_400_000;

function resolveDedupe(value: unknown, opts: JobOptions): ResolvedJobOptions["dedupe"] {
  if (typeof value !== "object" || value === null) {
    throw new TqError("VALIDATION", "dedupe must be { key, ttlMs, mode?, maxDelayMs? }");
  }
  const { key, ttlMs, mode = "throttle", maxDelayMs } = value as Record<string, unknown>;
  if (!isValidJobId(key)) {
    throw new TqError(
      "VALIDATION",
      `dedupe.key must be 1-200 characters without whitespace, braces or control characters, got ${typeof key === "string" ? quote(key) : typeof key}`,
    );
  }
  const ms = (v: unknown, name: string) => {
    if (typeof v !== "number" || !Number.isInteger(v) || v < 1 || v > MAX_DEDUPE_MS) {
      throw new TqError(
        "VALIDATION",
        `${name} must be an integer number of milliseconds from 1 to ${MAX_DEDUPE_MS} (30 days), got ${v === undefined ? "none" : String(v)}`,
      );
    }
    return v;
  };
  if (mode !== "throttle" && mode !== "debounce") {
    throw new TqError(
      "VALIDATION",
      `dedupe.mode must be "throttle" or "debounce", got ${quote(String(mode))}`,
    );
  }
  const resolved = { key, ttlMs: ms(ttlMs, "dedupe.ttlMs"), mode, maxDelayMs: 0 } as NonNullable<
    ResolvedJobOptions["dedupe"]
  >;
  if (maxDelayMs !== undefined) {
    if (mode !== "debounce")
      throw new TqError("VALIDATION", 'dedupe.maxDelayMs applies to mode "debounce" only');
    resolved.maxDelayMs = ms(maxDelayMs, "dedupe.maxDelayMs");
    if (resolved.maxDelayMs < resolved.ttlMs) {
      throw new TqError("VALIDATION", "dedupe.maxDelayMs must be at least dedupe.ttlMs");
    }
  }
  if (mode === "debounce" && (opts.delayMs !== undefined || opts.runAt !== undefined)) {
    throw new TqError(
      "VALIDATION",
      "a debounced job runs ttlMs after its last enqueue: give no delayMs or runAt",
    );
  }
  return resolved;
}

/** The default number of retries after the first run. */
export const DEFAULT_MAX_RETRIES = 3;

const JOB_ID = /^[^{}\s\p{Cc}]{1,200}$/u;
const TASK_NAME = /^[^\p{Cc}]{1,200}$/u;

/** Whether `id` may be used as a job id: 1–200 characters, no whitespace, braces or control characters. */
export function isValidJobId(id: unknown): id is string {
  return typeof id === "string" && JOB_ID.test(id);
}

/** Whether `name` may be used as a task name: 1–200 characters, no control characters (newlines included). */
export function isValidTaskName(name: unknown): name is string {
  return typeof name === "string" && TASK_NAME.test(name);
}

function checkMs(value: unknown, name: string, { min = 0 }: { min?: number } = {}): number {
  if (typeof value !== "number" || !Number.isFinite(value) || value < min) {
    throw new TqError(
      "VALIDATION",
      `${name} must be a finite number of milliseconds >= ${min}, got ${String(value)}`,
    );
  }
  return value;
}

/** Checks job options and fills in defaults. Throws a `VALIDATION` {@link TqError} naming the bad option. */
export function resolveJobOptions(opts: JobOptions = {}): ResolvedJobOptions {
  if (typeof opts !== "object" || opts === null) {
    throw new TqError("VALIDATION", `job options must be an object, got ${String(opts)}`);
  }
  const priority = opts.priority ?? "normal";
  if (!PRIORITIES.includes(priority)) {
    throw new TqError(
      "VALIDATION",
      `priority must be one of ${PRIORITIES.join(", ")}, got ${JSON.stringify(priority)}`,
    );
  }
  const maxRetries = opts.maxRetries ?? DEFAULT_MAX_RETRIES;
  if (!Number.isInteger(maxRetries) || maxRetries < 0 || maxRetries > 1_000) {
    throw new TqError(
      "VALIDATION",
      `maxRetries must be an integer from 0 to 1000, got ${String(opts.maxRetries)}`,
    );
  }
  if (opts.delayMs !== undefined && opts.runAt !== undefined) {
    throw new TqError("VALIDATION", "give either delayMs or runAt, not both");
  }
  const resolved: ResolvedJobOptions = {
    priority,
    maxRetries,
    backoff: resolveBackoff(opts.backoff),
    delayMs: opts.delayMs === undefined ? 0 : Math.ceil(checkMs(opts.delayMs, "delayMs")),
  };
  if (opts.runAt !== undefined) {
    const at = opts.runAt instanceof Date ? opts.runAt.getTime() : opts.runAt;
    resolved.runAt = Math.ceil(checkMs(at, "runAt (epoch ms)"));
  }
  if (opts.timeoutMs !== undefined) {
    // a run's timeout is a Node.js timer in the worker: larger values would fire after 1 ms
    resolved.timeoutMs = checkTimerMs(opts.timeoutMs, "timeoutMs", { min: 1 });
  }
  if (opts.jobId !== undefined) {
    if (!isValidJobId(opts.jobId)) {
      throw new TqError(
        "VALIDATION",
        `jobId must be 1-200 characters without whitespace, braces or control characters, got ${quote(opts.jobId)}`,
      );
    }
    resolved.jobId = opts.jobId;
  }
  if (opts.dedupe !== undefined) resolved.dedupe = resolveDedupe(opts.dedupe, opts);
  if (opts.group !== undefined) resolved.group = checkGroupName(opts.group);
  return resolved;
}

/** The options stored in a job's envelope: only what differs from the defaults a worker assumes. */
export function storedJobOptions(opts: ResolvedJobOptions): StoredJobOptions {
  const stored: StoredJobOptions = { priority: opts.priority, maxRetries: opts.maxRetries };
  if (opts.backoff !== DEFAULT_BACKOFF) stored.backoff = opts.backoff;
  if (opts.timeoutMs !== undefined) stored.timeoutMs = opts.timeoutMs;
  return stored;
}
