import { PRIORITIES, type Priority } from "@tq/job-schema";
import { decodeJobRecord } from "./record.js";

/** Every state tq writes to a job's `state` field, in the order of a job's life. */
export const JOB_STATES = ["scheduled", "pending", "active", "completed", "failed"] as const;

/** Where a job is in its life. */
export type JobStatus = (typeof JOB_STATES)[number];

/** The error a failed run recorded. */
export interface JobError {
  name: string;
  message: string;
  stack?: string;
  /** The {@link TqErrorCode} when tq itself failed the run (timeout, lost lease, unknown task, bad record). */
  code?: string;
  /** The run (1-based) that failed. */
  attempt?: number;
}

/** A snapshot of one job, as `getJob` and `list` return it. */
export interface JobInfo {
  id: string;
  queue: string;
  task: string;
  /** Any JSON value; by convention a positional array. `undefined` when the record could not be decoded. */
  args: unknown;
  status: JobStatus;
  priority: Priority;
  /** How many runs have started. */
  attempts: number;
  maxRetries: number;
  /** Epoch ms when the job was created (producer clock). */
  createdAt: number;
  /** Epoch ms when a scheduled job is due (Redis clock). */
  runAt?: number;
  /** Epoch ms when the latest run started (Redis clock). */
  startedAt?: number;
  /** Epoch ms when the job completed or failed (Redis clock). */
  finishedAt?: number;
  /** The handler's return value, once completed. */
  result?: unknown;
  /** The latest run's error. */
  error?: JobError;
  /**
   * The errors of the latest failed runs, oldest first: at most the newest 10 (`MAX_ERRORS_KEPT`) are kept (older ones are dropped so
   * that a job failing many runs, or replayed many times, stays small). {@link JobInfo.errorCount} counts them all.
   */
  errors?: JobError[];
  /** How many runs of this job have failed in all (also those no longer in {@link JobInfo.errors}). */
  errorCount?: number;
  /** The latest value a handler passed to `ctx.progress()`. */
  progress?: unknown;
  /** The id of the worker that claimed the latest run (the `wid` field); absent before the first run. */
  workerId?: string;
  /** How many runs lost their lease (the worker died, stalled or lost its connection) or died with a pool child. */
  stalls: number;
  /**
   * Milliseconds the latest run waited to start: from when the job became runnable (its run time `runAt` after a
   * delay, a backoff or a reclaim, else `createdAt`) to `startedAt`. Absent before the first run and while a retry
   * waits for its backoff; 0 when the producer's clock (`createdAt`) is ahead of Redis's.
   */
  waitedMs?: number;
  /** The job's group (`enqueue(…, { group })`); absent for a job without one. */
  group?: string;
}

/** The hash fields read for a {@link JobInfo}, in order. */
export const JOB_FIELDS = [
  "v",
  "task",
  "args",
  "opts",
  "createdAt",
  "pri",
  "maxr",
  "state",
  "att",
  "runAt",
  "startedAt",
  "finishedAt",
  "result",
  "error",
  "errors",
  "progress",
  "errn",
  "wid",
  "stalls",
  "grp",
] as const;

const STATUSES: ReadonlySet<string> = new Set(JOB_STATES);

function num(value: string | null | undefined): number | undefined {
  if (value === null || value === undefined || value === "") return undefined;
  const n = Number(value);
  return Number.isFinite(n) ? n : undefined;
}

function json(value: string | null | undefined): unknown {
  if (value === null || value === undefined || value === "") return undefined;
  try {
    return JSON.parse(value);
  } catch {
    return value;
  }
}

/** Builds a {@link JobInfo} from the values of {@link JOB_FIELDS}; null when the job does not exist. */
export function parseJobInfo(
  queue: string,
  id: string,
  values: ReadonlyArray<string | null>,
): JobInfo | null {
  const [
    v,
    task,
    args,
    opts,
    createdAt,
    pri,
    maxr,
    state,
    att,
    runAt,
    startedAt,
    finishedAt,
    result,
    error,
    errors,
    progress,
    errn,
    wid,
    stalls,
    grp,
  ] = values;
  if (state === null || state === undefined) return null;
  let envelope: { task: string; args: unknown; createdAt: number } = {
    task: task ?? "",
    args: undefined,
    createdAt: num(createdAt) ?? 0,
  };
  try {
    envelope = decodeJobRecord(id, [v, task, args, opts, createdAt, pri, maxr]);
  } catch {
    // an undecodable record still shows its state and error
  }
  const info: JobInfo = {
    id,
    queue,
    task: envelope.task,
    args: envelope.args,
    status: (STATUSES.has(state) ? state : "failed") as JobStatus,
    priority: PRIORITIES.includes(pri as Priority) ? (pri as Priority) : "normal",
    attempts: num(att) ?? 0,
    maxRetries: num(maxr) ?? 0,
    createdAt: envelope.createdAt,
    stalls: num(stalls) ?? 0,
  };
  const runAtMs = num(runAt);
  if (runAtMs !== undefined && state === "scheduled") info.runAt = runAtMs;
  const started = num(startedAt);
  if (started !== undefined) info.startedAt = started;
  const finished = num(finishedAt);
  if (finished !== undefined) info.finishedAt = finished;
  if (state === "completed") info.result = json(result);
  const lastError = json(error);
  if (lastError !== undefined) info.error = lastError as JobError;
  const allErrors = json(errors);
  if (Array.isArray(allErrors)) info.errors = allErrors as JobError[];
  // records written before the counter existed kept every entry
  const errorCount = num(errn) ?? info.errors?.length;
  if (errorCount !== undefined) info.errorCount = errorCount;
  if (wid) info.workerId = wid;
  if (grp) info.group = grp;
  if (started !== undefined) {
    // runAt in the future belongs to a retry still waiting: the latest run's start is older than it
    const runnableAt = runAtMs ?? envelope.createdAt;
    if (runnableAt <= started || runAtMs === undefined) info.waitedMs = Math.max(0, started - runnableAt);
  }
  const p = json(progress);
  if (p !== undefined) info.progress = p;
  return info;
}
