import { toTqError, withFields } from "@tq/connection";
import { checkHoldMs, quote, TqError } from "@tq/job-schema";
import type { JobContext, Logger, WorkerJob } from "./handlers.js";
import { bytesOver } from "./payload-size.js";
import { holdQueueClaims, type ProgressOutcome, recordProgress } from "./redis-calls.js";
import type { Run } from "./run-executor.js";
import type { WorkerCore } from "./worker-core.js";

/**
 * The `ctx` a handler gets for `run`: the job's fields, its abort signal, a prefixed logger, `progress()` and
 * `rateLimit()`.
 *
 * One small object per run: the signal, the logger and the two functions are made on first use (most handlers use
 * none of them), and the functions are bound, so `const { progress } = ctx` works too.
 */
export class RunContext implements JobContext {
  readonly jobId: string;
  readonly queue: string;
  readonly task: string;
  readonly attempt: number;
  readonly maxRetries: number;
  readonly priority: WorkerJob["priority"];
  readonly #core: WorkerCore;
  readonly #run: Run;
  #logger: Logger | undefined;
  #progress: ((value: unknown) => Promise<void>) | undefined;
  #rateLimit: ((ms: number) => Promise<void>) | undefined;

  constructor(core: WorkerCore, run: Run, job: WorkerJob) {
    this.jobId = job.id;
    this.queue = core.queue;
    this.task = job.task;
    this.attempt = job.attempt;
    this.maxRetries = job.maxRetries;
    this.priority = job.priority;
    this.#core = core;
    this.#run = run;
  }

  get signal(): AbortSignal {
    return this.#run.signal;
  }

  get logger(): Logger {
    this.#logger ??= withFields(this.#core.options.logger, {
      queue: this.queue,
      jobId: this.jobId,
      task: this.task,
      attempt: this.attempt,
    });
    return this.#logger;
  }

  get progress(): (value: unknown) => Promise<void> {
    this.#progress ??= (value) => this.#recordProgress(value);
    return this.#progress;
  }

  get rateLimit(): (ms: number) => Promise<void> {
    this.#rateLimit ??= (ms) => this.#holdClaims(ms);
    return this.#rateLimit;
  }

  async #holdClaims(ms: number): Promise<void> {
    const holdMs = checkHoldMs(ms);
    // marked first: a throw right after this call hands the job back even if the hold could not be written
    this.#run.rateLimited = true;
    const command = this.#core.command;
    if (!command) return;
    try {
      await holdQueueClaims(command, this.#core.keys, holdMs);
    } catch (error) {
      throw toTqError(error, `job ${quote(this.jobId)}: holding the queue's claims (ctx.rateLimit) failed`);
    }
  }

  async #recordProgress(value: unknown): Promise<void> {
    const core = this.#core;
    const run = this.#run;
    const command = core.command;
    if (!command || run.settled) return;
    const { maxProgressBytes } = core.options;
    let json: string;
    try {
      json = JSON.stringify(value) ?? "null";
    } catch (cause) {
      throw new TqError("VALIDATION", `progress value for job ${quote(this.jobId)} is not JSON`, { cause });
    }
    const tooLarge = (bytes: number | string) =>
      new TqError(
        "PAYLOAD_TOO_LARGE",
        `progress value for job ${quote(this.jobId)} (task ${quote(this.task)}) is ${bytes} bytes encoded, over the ${maxProgressBytes}-byte cap (maxProgressBytes); it was not stored`,
      );
    const size = bytesOver(json, maxProgressBytes);
    if (size !== false) throw tooLarge(size);
    let outcome: ProgressOutcome;
    try {
      outcome = await recordProgress(command, core.keys, {
        id: this.jobId,
        token: run.token,
        json,
        maxBytes: maxProgressBytes,
      });
    } catch (error) {
      throw toTqError(error, `job ${quote(this.jobId)}: recording progress failed`);
    }
    if (outcome === "too-large") throw tooLarge(Buffer.byteLength(json, "utf8"));
  }
}
