import { type JobOptions, type Task, type TaskArgsInput, TqError } from "@tq/job-schema";
import {
  checkQueueName,
  isValidQueueName,
  type PreparedJob,
  prepareJob,
  taskName,
  validateArgs,
} from "@tq/protocol";
import { mergedOptions } from "./prepare-job.js";
import { type MissedTickPolicy, type ResolvedTiming, resolveTiming, type ScheduleTiming } from "./timing.js";

/** Options of the jobs a schedule enqueues: a job's options without `jobId` and `runAt`, which the tick sets. */
export type ScheduleJobOptions = Omit<JobOptions, "jobId" | "runAt">;

/** What a schedule enqueues on each tick. */
export interface ScheduleTarget {
  /** The queue the jobs go to. */
  queue: string;
  /** The task name (or a `defineTask()` contract, whose defaults apply and whose args schema is checked). */
  task: string | Task;
  /** The args of every job (any JSON value). @defaultValue [] */
  args?: unknown;
  /** Options of every job. */
  opts?: ScheduleJobOptions;
}

/** A {@link ScheduleTarget} typed by a task contract. */
export interface TaskScheduleTarget<T extends Task> extends ScheduleTarget {
  task: T;
  args: TaskArgsInput<T>;
}

/** A schedule as {@link Scheduler.listSchedules} returns it. */
export interface ScheduleInfo {
  /** The schedule's name; its jobs have ids `<name>:<tick ms>`. */
  name: string;
  /** When it fires, with every default filled in. */
  timing: ResolvedTiming;
  queue: string;
  task: string;
  args: unknown;
  opts: ScheduleJobOptions;
  /** The next fire time, epoch ms on the Redis clock; null when it never fires again. */
  nextRunAt: number | null;
  /** When the schedule was created, epoch ms on the Redis clock. */
  createdAt: number;
  /** When the schedule was last changed, epoch ms on the Redis clock. */
  updatedAt: number;
}

/** A schedule as checked from what `upsertSchedule` was given: what it fires, when, and into which queue. */
export interface ScheduleSpec {
  timing: ResolvedTiming;
  queue: string;
  task: string;
  args: unknown;
  /** The job options with the task contract's defaults merged in. */
  opts: ScheduleJobOptions;
}

/** The stored form of a schedule (the value in the `<prefix>:schedules` hash). */
export interface StoredSchedule extends ScheduleSpec {
  v: 1;
  createdAt: number;
  updatedAt: number;
}

const SCHEDULE_NAME = /^[^{}\s]{1,180}$/;

/** Throws `VALIDATION` unless `name` is a valid schedule name: 1–180 characters, no whitespace or braces. */
export function checkScheduleName(name: unknown): asserts name is string {
  if (typeof name !== "string" || !SCHEDULE_NAME.test(name)) {
    throw new TqError(
      "VALIDATION",
      `schedule name must be 1-180 characters without whitespace or braces (got ${JSON.stringify(name)})`,
    );
  }
}

/**
 * Checks what `upsertSchedule(name, timing, target)` was given, in the order a caller reads the arguments, and builds
 * a job of it once (so a bad option or an oversized job is refused now rather than skipped at every tick). Throws
 * `VALIDATION` (or `PAYLOAD_TOO_LARGE`) saying what is wrong.
 */
export async function resolveSchedule(
  name: unknown,
  timing: ScheduleTiming,
  target: ScheduleTarget,
  maxPayloadBytes: number,
): Promise<ScheduleSpec> {
  checkScheduleName(name);
  const resolved = resolveTiming(name, timing);
  if (typeof target !== "object" || target === null) {
    throw new TqError("VALIDATION", `schedule "${name}": target must be { queue, task, args?, opts? }`);
  }
  checkQueueName(target.queue, `schedule "${name}"`);
  const task = taskName(target.task);
  const given = (target.opts ?? {}) as JobOptions;
  if (given.jobId !== undefined || given.runAt !== undefined) {
    throw new TqError(
      "VALIDATION",
      `schedule "${name}": opts cannot hold jobId or runAt; each tick sets the job's id and time`,
    );
  }
  await validateArgs(target.task, target.args, `schedule "${name}" (task "${task}")`);
  const spec: ScheduleSpec = {
    timing: resolved,
    queue: target.queue,
    task,
    args: target.args === undefined ? [] : target.args,
    opts: mergedOptions(target.task, given) as ScheduleJobOptions,
  };
  tickJob(name, Date.now(), spec, maxPayloadBytes);
  return spec;
}

/** The id of the job of a schedule's tick: `<name>:<tick ms>`. */
export function tickJobId(name: string, tickMs: number): string {
  return `${name}:${tickMs}`;
}

/** The job a schedule enqueues for the tick `tickMs`. Throws like `prepareJob` when the schedule cannot build one. */
export function tickJob(
  name: string,
  tickMs: number,
  schedule: ScheduleSpec,
  maxPayloadBytes: number,
): PreparedJob {
  const jobId = tickJobId(name, tickMs);
  return prepareJob(schedule.task, schedule.args, { ...schedule.opts, jobId }, maxPayloadBytes);
}

/** The stored text of a schedule. */
export function encodeSchedule(stored: StoredSchedule): string {
  return JSON.stringify(stored);
}

/** A stored schedule as `getSchedule` and `listSchedules` return it; `nextRunAt` null or Infinity: never again. */
export function scheduleInfo(name: string, stored: StoredSchedule, nextRunAt: number | null): ScheduleInfo {
  return {
    name,
    timing: stored.timing,
    queue: stored.queue,
    task: stored.task,
    args: stored.args,
    opts: stored.opts,
    nextRunAt: nextRunAt !== null && Number.isFinite(nextRunAt) ? nextRunAt : null,
    createdAt: stored.createdAt,
    updatedAt: stored.updatedAt,
  };
}

/** Whether two stored schedules are the same apart from their timestamps. */
export function sameSchedule(a: StoredSchedule, b: StoredSchedule): boolean {
  return (
    JSON.stringify({ ...a, createdAt: 0, updatedAt: 0 }) ===
    JSON.stringify({ ...b, createdAt: 0, updatedAt: 0 })
  );
}

const POLICIES = new Set<MissedTickPolicy>(["fire-once", "skip"]);

function isResolvedTiming(value: unknown): value is ResolvedTiming {
  if (typeof value !== "object" || value === null) return false;
  const t = value as Record<string, unknown>;
  if (!POLICIES.has(t.missedTicks as MissedTickPolicy) || typeof t.missedAfterMs !== "number") return false;
  if (typeof t.everyMs === "number") return t.everyMs > 0;
  return typeof t.cron === "string" && typeof t.timezone === "string";
}

/** Decodes a stored schedule. Throws `DECODE` saying what is wrong. */
export function decodeSchedule(name: string, text: string): StoredSchedule {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (cause) {
    throw new TqError("DECODE", `schedule "${name}": the stored definition is not JSON`, { cause });
  }
  const s = value as Partial<StoredSchedule> | null;
  if (
    typeof s !== "object" ||
    s === null ||
    s.v !== 1 ||
    !isResolvedTiming(s.timing) ||
    !isValidQueueName(s.queue) ||
    typeof s.task !== "string" ||
    typeof s.opts !== "object" ||
    s.opts === null
  ) {
    throw new TqError(
      "DECODE",
      `schedule "${name}": the stored definition is not a schedule of version 1; upsert it again`,
    );
  }
  return s as StoredSchedule;
}
