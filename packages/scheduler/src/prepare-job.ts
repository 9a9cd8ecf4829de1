import { isTask, type JobOptions, type Task } from "@tq/job-schema";

/** A contract's defaults under the given options, as `Queue.enqueue` merges them. */
export function mergedOptions(task: string | Task, opts: JobOptions | undefined): JobOptions {
  return isTask(task) ? { ...task.defaults, ...opts } : { ...opts };
}
