import { isTask, type JobOptions, type Task } from "@tq/job-schema";

export type { PreparedJob } from "@tq/client/internal";
export { prepareJob, taskName, validateArgs } from "@tq/client/internal";

/** A contract's defaults under the given options, as `Queue.enqueue` merges them. */
export function mergedOptions(task: string | Task, opts: JobOptions | undefined): JobOptions {
  return isTask(task) ? { ...task.defaults, ...opts } : { ...opts };
}
