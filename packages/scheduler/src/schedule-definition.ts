import { type JobOptions, type Task, type TaskArgsInput, TqError } from "@tq/job-schema";
import { isValidQueueName } from "@tq/protocol";
import type { MissedTickPolicy, ResolvedTiming } from "./timing.js";

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

/** The stored form of a schedule (the value in the `<prefix>:schedules` hash). */
export interface StoredSchedule {
  v: 1;
  timing: ResolvedTiming;
  queue: string;
  task: string;
  args: unknown;
  opts: ScheduleJobOptions;
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
