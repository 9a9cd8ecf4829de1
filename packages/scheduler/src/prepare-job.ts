import {
  encodeJob,
  isTask,
  JOB_SCHEMA_VERSION,
  type JobOptions,
  resolveJobOptions,
  storedJobOptions,
  type Task,
  TqError,
  validateWithSchema,
} from "@tq/job-schema";

/** A job ready for the enqueue script: its id and its ARGV fields. */
export interface PreparedJob {
  id: string;
  task: string;
  /** id, data, priority, maxRetries, delayMs, runAtMs: the enqueue script's per-job ARGV. */
  argv: string[];
}

/** The task name of a name or contract. Throws `VALIDATION` for anything else. */
export function taskName(task: string | Task): string {
  const name = typeof task === "string" ? task : task?.name;
  if (typeof name !== "string" || name.length === 0 || name.length > 200) {
    throw new TqError(
      "VALIDATION",
      "task must be a non-empty name (at most 200 characters) or a defineTask() contract",
    );
  }
  return name;
}

/** A contract's defaults under the given options, as `Queue.enqueue` merges them. */
export function mergedOptions(task: string | Task, opts: JobOptions | undefined): JobOptions {
  return isTask(task) ? { ...task.defaults, ...opts } : { ...opts };
}

/** Validates args against a task contract's schema, like `Queue.enqueue` does; a plain task name passes. */
export async function validateArgs(task: string | Task, args: unknown, context: string): Promise<void> {
  if (isTask(task) && task.args) await validateWithSchema(task.args, args, "args", context);
}

/** Builds the stored record of one job, exactly as `Queue.enqueue` does. `opts.jobId` must be set. */
export function prepareJob(
  task: string,
  args: unknown,
  opts: JobOptions,
  maxPayloadBytes: number,
): PreparedJob {
  const resolved = resolveJobOptions(opts);
  const id = resolved.jobId;
  if (id === undefined) throw new TqError("VALIDATION", "a scheduled job needs an id");
  const data = encodeJob(
    {
      v: JOB_SCHEMA_VERSION,
      id,
      task,
      args: args === undefined ? [] : args,
      opts: storedJobOptions(resolved),
      createdAt: Date.now(),
    },
    maxPayloadBytes,
  );
  return {
    id,
    task,
    argv: [
      id,
      data,
      resolved.priority,
      String(resolved.maxRetries),
      String(resolved.delayMs),
      String(resolved.runAt ?? 0),
    ],
  };
}
