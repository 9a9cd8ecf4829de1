import { toTqError, withFields } from "@tq/connection";
import { checkHoldMs, quote, TqError } from "@tq/job-schema";
import type { JobContext, Logger, WorkerJob } from "./handlers.js";
import { bytesOver } from "./payload-size.js";
import { holdQueueClaims, type ProgressOutcome, recordProgress } from "./redis-calls.js";
import type { Run } from "./run-executor.js";
import type { WorkerCore } from "./worker-core.js";

/** The `ctx` a handler gets for `run`: the job's fields, its abort signal, a prefixed logger and `progress()`. */
export function jobContext(core: WorkerCore, run: Run, job: WorkerJob): JobContext {
  const { maxProgressBytes } = core.options;
  // made on first use: most handlers never log, and a pino child per job is not free
  let logger: Logger | undefined;
  return {
    jobId: job.id,
    queue: core.queue,
    task: job.task,
    attempt: job.attempt,
    maxRetries: job.maxRetries,
    priority: job.priority,
    signal: run.controller.signal,
    get logger(): Logger {
      logger ??= withFields(core.options.logger, {
        queue: core.queue,
        jobId: job.id,
        task: job.task,
        attempt: job.attempt,
      });
      return logger;
    },
    rateLimit: async (ms: number) => {
      const holdMs = checkHoldMs(ms);
      // marked first: a throw right after this call hands the job back even if the hold could not be written
      run.rateLimited = true;
      const command = core.command;
      if (!command) return;
      try {
        await holdQueueClaims(command, core.keys, holdMs);
      } catch (error) {
        throw toTqError(error, `job ${quote(job.id)}: holding the queue's claims (ctx.rateLimit) failed`);
      }
    },
    progress: async (value: unknown) => {
      const command = core.command;
      if (!command || run.settled) return;
      let json: string;
      try {
        json = JSON.stringify(value) ?? "null";
      } catch (cause) {
        throw new TqError("VALIDATION", `progress value for job ${quote(job.id)} is not JSON`, { cause });
      }
      const tooLarge = (bytes: number | string) =>
        new TqError(
          "PAYLOAD_TOO_LARGE",
          `progress value for job ${quote(job.id)} (task ${quote(job.task)}) is ${bytes} bytes encoded, over the ${maxProgressBytes}-byte cap (maxProgressBytes); it was not stored`,
        );
      const size = bytesOver(json, maxProgressBytes);
      if (size !== false) throw tooLarge(size);
      let outcome: ProgressOutcome;
      try {
        outcome = await recordProgress(command, core.keys, {
          id: job.id,
          token: run.token,
          json,
          maxBytes: maxProgressBytes,
        });
      } catch (error) {
        throw toTqError(error, `job ${quote(job.id)}: recording progress failed`);
      }
      if (outcome === "too-large") throw tooLarge(Buffer.byteLength(json, "utf8"));
    },
  };
}
