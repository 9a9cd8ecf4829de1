import { randomUUID } from "node:crypto";
import { type JobOptions, type Task, TqError } from "@tq/job-schema";
import { checkQueueName, type PreparedJob, prepareJob, taskName, validateArgs } from "@tq/protocol";
import { mergedOptions } from "./prepare-job.js";

/** Options of a job enqueued by {@link Scheduler.schedule}: a job's options, the delay aside. */
export type DelayedJobOptions = Omit<JobOptions, "delayMs" | "runAt">;

/**
 * Checks the arguments of `schedule(queue, task, delayMs, args, opts)` and builds the job, as `Queue.enqueue` would
 * with `delayMs`: the contract's defaults merged in, a fresh id unless one is given. Throws `VALIDATION` (bad queue,
 * task, delay, args or options) or `PAYLOAD_TOO_LARGE`.
 */
export async function prepareDelayedJob(
  queue: string,
  task: string | Task,
  delayMs: number,
  args: unknown,
  opts: DelayedJobOptions | undefined,
  maxPayloadBytes: number,
): Promise<PreparedJob> {
  checkQueueName(queue, "schedule");
  const name = taskName(task);
  if (typeof delayMs !== "number" || !Number.isFinite(delayMs) || delayMs < 0) {
    throw new TqError(
      "VALIDATION",
      `schedule: delayMs must be a finite number of milliseconds >= 0, got ${String(delayMs)}`,
    );
  }
  const given = (opts ?? {}) as JobOptions;
  if (given.runAt !== undefined || given.delayMs !== undefined) {
    throw new TqError("VALIDATION", "schedule: give the delay as the delayMs argument, not in opts");
  }
  await validateArgs(task, args, `task "${name}" in queue "${queue}"`);
  const merged = mergedOptions(task, { ...given, delayMs });
  merged.jobId ??= randomUUID();
  return prepareJob(name, args, merged, maxPayloadBytes);
}
