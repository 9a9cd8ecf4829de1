import { isTqError, quote } from "@tq/job-schema";
import { failure, usageError } from "../cli-error.js";
import { type CommonFlags, print, withSession } from "../command-kit.js";
import type { CliIo } from "../io.js";
import type { Session } from "../session.js";

// The commands that change one queue's state: retry, cancel, pause, resume.

async function jobState(session: Session, queue: string, id: string): Promise<string> {
  const info = await session.queue(queue).getJob(id);
  if (!info) {
    throw failure(`queue ${quote(queue)} has no job ${quote(id)} (never enqueued, or removed by retention)`);
  }
  return info.status;
}

/** `tq retry <queue> (<id> | --all-failed)`. */
export async function retryCommand(
  queueName: string,
  id: string | undefined,
  flags: CommonFlags & { allFailed?: boolean },
  io: CliIo,
): Promise<void> {
  if ((id === undefined) === (flags.allFailed !== true)) {
    throw usageError("retry takes a job id or --all-failed (one of the two)");
  }
  const result = await withSession(flags, io, async (session) => {
    const queue = await session.existingQueue(queueName);
    if (id === undefined) return { queue: queueName, retried: await queue.retryAllFailed() };
    if (!(await queue.retry(id))) {
      const state = await jobState(session, queueName, id);
      throw failure(
        `job ${quote(id)} in queue ${quote(queueName)} is ${state}; only failed jobs can be retried`,
      );
    }
    return { queue: queueName, retried: 1, id };
  });
  print(io, flags, result, () =>
    result.id !== undefined
      ? `job ${result.id} is pending again in queue ${queueName}\n`
      : `${result.retried} failed job(s) are pending again in queue ${queueName}\n`,
  );
}

/**
 * `tq cancel <queue> <id>`: removes a job that has not started, or fails a running one with `CANCELLED` (its worker
 * aborts the run).
 */
export async function cancelCommand(
  queueName: string,
  id: string,
  flags: CommonFlags,
  io: CliIo,
): Promise<void> {
  const running = await withSession(flags, io, async (session) => {
    const queue = await session.existingQueue(queueName);
    let cancelled: boolean;
    try {
      cancelled = await queue.cancel(id);
    } catch (error) {
      if (isTqError(error) && error.code === "INVALID_STATE") throw failure(error.message);
      throw error;
    }
    if (!cancelled) {
      throw failure(
        `queue ${quote(queueName)} has no job ${quote(id)} (never enqueued, or removed by retention)`,
      );
    }
    // a removed job has no record left; a running one is kept, failed with CANCELLED
    return (await queue.getJob(id))?.error?.code === "CANCELLED";
  });
  print(io, flags, { queue: queueName, id, cancelled: true, running }, () =>
    running
      ? `cancelled job ${id} in queue ${queueName}: it was running; it is now failed (CANCELLED, no retry) and its worker was told to stop it\n`
      : `cancelled job ${id} in queue ${queueName}\n`,
  );
}

/** `tq pause <queue>` and `tq resume <queue>`. */
export async function pauseCommand(
  queueName: string,
  paused: boolean,
  flags: CommonFlags,
  io: CliIo,
): Promise<void> {
  await withSession(flags, io, async (session) => {
    const queue = await session.existingQueue(queueName);
    await (paused ? queue.pause() : queue.resume());
  });
  print(io, flags, { queue: queueName, paused }, () =>
    paused
      ? `paused queue ${queueName}: workers claim no new jobs (running ones finish)\n`
      : `resumed queue ${queueName}\n`,
  );
}
