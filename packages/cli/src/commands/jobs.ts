import type { JobInfo, JobStatus } from "@tq/client";
import { type CommonFlags, print, withSession } from "../command-kit.js";
import { brief, table, time } from "../format.js";
import type { CliIo } from "../io.js";

/** The flags of `tq jobs`. */
export interface JobsFlags extends CommonFlags {
  status: JobStatus;
  limit: number;
  offset: number;
}

/** The time that matters most for a job in this state. */
function when(job: JobInfo): string {
  switch (job.status) {
    case "scheduled":
      return time(job.runAt);
    case "active":
      return time(job.startedAt);
    case "completed":
    case "failed":
      return time(job.finishedAt);
    default:
      return time(job.createdAt);
  }
}

const WHEN_HEADER: Record<JobStatus, string> = {
  scheduled: "RUN AT",
  pending: "CREATED",
  active: "STARTED",
  completed: "FINISHED",
  failed: "FINISHED",
};

/**
 * `tq jobs <queue>`: one page of the jobs in one state (`Queue.list`: ZRANGE/LRANGE of the page only) and the
 * state's total (ZCARD/LLEN), so it stays quick on a queue with a million jobs.
 */
export async function jobsCommand(queueName: string, flags: JobsFlags, io: CliIo): Promise<void> {
  const { status, limit, offset } = flags;
  const page = await withSession(flags, io, async (session) => {
    const queue = await session.existingQueue(queueName);
    const [counts, jobs] = await Promise.all([queue.counts(), queue.list(status, { offset, limit })]);
    const total = counts[status];
    const next = offset + limit < total ? offset + limit : null;
    return { queue: queueName, status, offset, limit, total, nextOffset: next, jobs };
  });
  print(io, flags, page, () => {
    const shown =
      page.jobs.length === 0
        ? `no ${status} jobs at offset ${offset} (${page.total} in all)\n`
        : table(
            ["ID", "TASK", "PRI", "ATTEMPTS", WHEN_HEADER[status], status === "failed" ? "ERROR" : "ARGS"],
            page.jobs.map((j) => [
              j.id,
              j.task,
              j.priority,
              `${j.attempts}/${j.maxRetries + 1}`,
              when(j),
              status === "failed" ? brief(j.error?.message) : brief(j.args, 40),
            ]),
          );
    const range =
      page.jobs.length === 0 ? "" : `${status} ${offset + 1}-${offset + page.jobs.length} of ${page.total}`;
    const more = page.nextOffset !== null ? `; next page: --offset ${page.nextOffset}` : "";
    return range ? `${shown}${range}${more}\n` : shown;
  });
}
