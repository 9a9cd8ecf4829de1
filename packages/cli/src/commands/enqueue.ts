import type { EnqueuedJob } from "@tq/client";
import { DEFAULT_MAX_PAYLOAD_BYTES, isTqError, type JobOptions, type Priority } from "@tq/job-schema";
import { prepareJob } from "@tq/protocol";
import { jsonArgument } from "../arguments.js";
import { usageError } from "../cli-error.js";
import { type CommonFlags, print, withSession } from "../command-kit.js";
import type { CliIo } from "../io.js";

/** The flags of `tq enqueue`. */
export interface EnqueueFlags extends CommonFlags {
  delayMs?: number;
  priority?: Priority;
  jobId?: string;
  maxRetries?: number;
  group?: string;
}

/**
 * `tq enqueue <queue> <task> [args-json]`: one job, as `Queue.enqueue` stores it. The job is built and checked (JSON,
 * options, size) before anything connects, so bad input writes nothing. A new queue name is accepted: enqueueing is
 * how a queue comes to exist.
 */
export async function enqueueCommand(
  queueName: string,
  task: string,
  argsJson: string | undefined,
  flags: EnqueueFlags,
  io: CliIo,
): Promise<void> {
  const args = jsonArgument(argsJson);
  const opts: JobOptions = {};
  if (flags.delayMs !== undefined) opts.delayMs = flags.delayMs;
  if (flags.priority !== undefined) opts.priority = flags.priority;
  if (flags.jobId !== undefined) opts.jobId = flags.jobId;
  if (flags.maxRetries !== undefined) opts.maxRetries = flags.maxRetries;
  if (flags.group !== undefined) opts.group = flags.group;
  try {
    prepareJob(task, args, opts, DEFAULT_MAX_PAYLOAD_BYTES);
  } catch (error) {
    if (isTqError(error)) throw usageError(error.message);
    throw error;
  }
  const job: EnqueuedJob = await withSession(flags, io, (session) =>
    session.queue(queueName).enqueue(task, args, opts),
  );
  print(io, flags, job, () =>
    job.created
      ? `enqueued job ${job.id} (task ${job.task}) in queue ${job.queue}\n`
      : `job ${job.id} exists already in queue ${job.queue}: nothing was created\n`,
  );
}
