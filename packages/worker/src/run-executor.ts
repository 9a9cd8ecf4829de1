import {
  backoffDelay,
  DEFAULT_BACKOFF,
  type JobEnvelope,
  MAX_TIMER_MS,
  quote,
  type Task,
  TqError,
  validateWithSchema,
} from "@tq/job-schema";
import {
  ACK_OP,
  type AckOp,
  type ClaimedJob,
  decodeJobRecord,
  type ProcessSpan,
  type RecordEnvelope,
  type TqTracer,
  tqTracer,
} from "@tq/protocol";
import type { Ack, AckBatcher } from "./ack-batcher.js";
import type { Handler, WorkerJob } from "./handlers.js";
import { RunContext } from "./job-context.js";
import { bytesOver } from "./payload-size.js";
import { describeThrown, isUnrecoverable, serializeError, toError } from "./serialize-error.js";
import { WORKER_VERSION } from "./version.js";
import type { WorkerCore } from "./worker-core.js";

/** A claimed job this process runs, until its outcome is decided. */
/**
 * A run in progress. Its AbortController is made only when something asks for the signal or aborts the run: most
 * handlers never look at `ctx.signal`, and a controller with its signal is the largest allocation of a run.
 */
export class Run {
  readonly id: string;
  readonly token: string;
  /** The run's number (1-based), known even when the record cannot be decoded. */
  readonly attempt: number;
  settled = false;
  job: WorkerJob | undefined = undefined;
  /** The handler called `ctx.rateLimit`: if it throws, the job is handed back uncounted instead of failing. */
  rateLimited = false;
  /** The run's `process <queue>` span, when `@opentelemetry/api` is installed; ended when the run settles. */
  span: ProcessSpan | undefined = undefined;
  #controller: AbortController | undefined;
  #abortReason: unknown;
  #aborted = false;

  constructor(claim: ClaimedJob) {
    this.id = claim.id;
    this.token = claim.token;
    this.attempt = claim.attempt;
  }

  /** Aborted when the run times out, its lease is lost, it is cancelled or the worker shuts down. */
  get signal(): AbortSignal {
    if (!this.#controller) {
      this.#controller = new AbortController();
      if (this.#aborted) this.#controller.abort(this.#abortReason);
    }
    return this.#controller.signal;
  }

  /** Aborts the run's signal with `reason` (the first abort wins, as with AbortController). */
  abort(reason: unknown): void {
    if (this.#aborted) return;
    this.#aborted = true;
    this.#abortReason = reason;
    this.#controller?.abort(reason);
  }
}

interface Registered {
  fn: Handler<unknown, unknown>;
  task: Task | undefined;
}

/**
 * Runs claimed jobs: decodes each record, finds its handler, validates args and result against the task contract,
 * enforces the job's `timeoutMs`, and turns what the handler did into an ack. Every run settles exactly once.
 */
export class RunExecutor {
  readonly #core: WorkerCore;
  readonly #acks: AckBatcher;
  /** Wakes the fetch loop: a slot is free. */
  readonly #wake: () => void;
  readonly #handlers = new Map<string, Registered>();
  /** Runs whose outcome is not decided yet, by job id. */
  readonly running = new Map<string, Run>();
  /** Consumer spans, when `@opentelemetry/api` is installed. */
  readonly #tracer: TqTracer | undefined;

  constructor(core: WorkerCore, acks: AckBatcher, wake: () => void) {
    this.#core = core;
    this.#acks = acks;
    this.#wake = wake;
    this.#tracer = tqTracer("@tq/worker", WORKER_VERSION);
  }

  register(name: string, fn: Handler<unknown, unknown>, task: Task | undefined): void {
    this.#handlers.set(name, { fn, task });
  }

  /** The task names there is a handler for. */
  get tasks(): string[] {
    return [...this.#handlers.keys()];
  }

  start(claim: ClaimedJob): void {
    const run = new Run(claim);
    this.running.set(claim.id, run);
    // Every run settles: whatever escapes (a hostile thrown value, a listener that throws) fails the run.
    this.#execute(run, claim).catch((error: unknown) => {
      this.#settle(run, ACK_OP.fail, toError(error), -1);
    });
  }

  /** Redis no longer holds this run's lease: the run is aborted and forgotten; its outcome will not be recorded. */
  leaseLost(run: Run): void {
    run.settled = true;
    this.running.delete(run.id);
    const error = new TqError(
      "LEASE_LOST",
      `lease on job ${quote(run.id)} in queue ${quote(this.#core.queue)} was lost (it expired, another worker took the job, or its record was overwritten); this run is aborted`,
    );
    run.abort(error);
    run.span?.end(error);
    this.#core.ended(run.id, run.token);
    this.#core.reportError(error);
    this.#wake();
  }

  /**
   * The run `id` under `token`, while its outcome is undecided here; undefined for a run this worker does not hold
   * (another worker's, or one that already settled).
   */
  current(id: string, token: string): Run | undefined {
    const run = this.running.get(id);
    return run && !run.settled && run.token === token ? run : undefined;
  }

  /**
   * The job was cancelled while this run held it (`queue.cancel`): Redis has already failed it with `CANCELLED`.
   * The run is aborted (its `ctx.signal`, with a `CANCELLED` error) and forgotten at once, freeing its slot; no ack
   * is sent, and whatever the handler does later is discarded. Emits `failed` once.
   */
  cancelled(run: Run): void {
    if (run.settled) return;
    run.settled = true;
    this.running.delete(run.id);
    const core = this.#core;
    const error = new TqError(
      "CANCELLED",
      `job ${quote(run.id)} in queue ${quote(core.queue)} was cancelled while running (attempt ${run.attempt}); its outcome is failed and this run's result will be discarded`,
      { retryable: false },
    );
    run.abort(error);
    run.span?.end(error);
    core.ended(run.id, run.token);
    core.processed++;
    core.failed++;
    this.#wake();
    if (run.job) {
      try {
        core.events.emit("failed", run.job, error);
      } catch (thrown) {
        core.listenerFailed(thrown);
      }
    }
  }

  /** Aborts and forgets every run still in progress (the worker is shutting down). Returns them, to hand back. */
  abandonAll(): Run[] {
    const unfinished = [...this.running.values()];
    for (const run of unfinished) {
      run.settled = true;
      this.running.delete(run.id);
      this.#core.ended(run.id, run.token);
      const error = new TqError(
        "CLOSED",
        `${this.#core.label} shut down before job ${quote(run.id)} finished`,
      );
      run.abort(error);
      run.span?.end(error);
    }
    return unfinished;
  }

  async #execute(run: Run, claim: ClaimedJob): Promise<void> {
    const core = this.#core;
    const { maxPayloadBytes, maxResultBytes } = core.options;
    let envelope: RecordEnvelope;
    try {
      envelope = decodeJobRecord(claim.id, claim.record, maxPayloadBytes);
    } catch (error) {
      run.span = this.#tracer?.startProcess({
        queue: core.queue,
        id: claim.id,
        attempt: claim.attempt,
        workerId: core.options.workerId,
      });
      this.#settle(run, ACK_OP.fail, toError(error), -1);
      return;
    }
    // checked first: without an SDK no span input is built for each run
    if (this.#tracer?.active) {
      run.span = this.#tracer.startProcess({
        queue: core.queue,
        id: claim.id,
        task: envelope.task,
        attempt: claim.attempt,
        workerId: core.options.workerId,
        trace: envelope.trace,
      });
    }
    const job: WorkerJob = {
      id: claim.id,
      queue: core.queue,
      task: envelope.task,
      args: envelope.args,
      attempt: claim.attempt,
      maxRetries: envelope.opts.maxRetries,
      priority: envelope.opts.priority,
      createdAt: envelope.createdAt,
      waitedMs: claim.waitedMs,
    };
    run.job = job;
    const registered = this.#handlers.get(envelope.task);
    if (!registered) {
      const known = this.tasks.length > 0 ? this.tasks.map((t) => quote(t)).join(", ") : "none";
      this.#settle(
        run,
        ACK_OP.fail,
        new TqError(
          "UNKNOWN_TASK",
          `unknown task ${quote(envelope.task)} for job ${quote(job.id)} in queue ${quote(core.queue)}: this worker knows ${known}`,
          { retryable: false },
        ),
        -1,
      );
      return;
    }
    let timer: NodeJS.Timeout | undefined;
    // A stored timeoutMs beyond what a timer can wait (written by an old or foreign producer) means no timeout:
    // a timer would fire after 1 ms. Runs that long are bounded by their lease renewals, not by a timer.
    const timeoutMs =
      envelope.opts.timeoutMs !== undefined && envelope.opts.timeoutMs <= MAX_TIMER_MS
        ? envelope.opts.timeoutMs
        : undefined;
    try {
      if (timeoutMs !== undefined) {
        timer = setTimeout(() => {
          const error = new TqError(
            "TIMEOUT",
            `${runLabel(job)} ran past its timeoutMs of ${timeoutMs} ms on attempt ${job.attempt}`,
          );
          run.abort(error);
          this.#fail(run, envelope, error);
        }, timeoutMs);
      }
      core.hooks.active?.(job, {
        id: job.id,
        token: run.token,
        timeoutMs,
        retryDelayMs: backoffDelay(envelope.opts.backoff ?? DEFAULT_BACKOFF, job.attempt),
      });
      core.events.emit("active", job);
      let args = envelope.args;
      if (registered.task?.args) {
        args = await validateWithSchema(registered.task.args, args, "args", runLabel(job));
      }
      const ctx = new RunContext(core, run, job);
      // the handler runs in the run's span: spans it starts are children of it
      let result = await (run.span ? run.span.run(() => registered.fn(args, ctx)) : registered.fn(args, ctx));
      if (registered.task?.result) {
        result = await validateWithSchema(registered.task.result, result, "result", runLabel(job));
      }
      let payload: string;
      try {
        // a function or symbol result is no result, as JSON would drop it from an object
        payload = result === undefined ? "" : (JSON.stringify(result) ?? "");
      } catch (cause) {
        throw new TqError(
          "VALIDATION",
          `${runLabel(job)} returned a value that is not JSON: ${describeThrown(toError(cause).message)}`,
          { cause, retryable: false },
        );
      }
      const size = bytesOver(payload, maxResultBytes);
      if (size !== false) {
        throw new TqError(
          "PAYLOAD_TOO_LARGE",
          `${runLabel(job)} returned a result of ${size} bytes encoded, over the ${maxResultBytes}-byte cap (maxResultBytes); store large data elsewhere and return a reference`,
          { retryable: false },
        );
      }
      this.#settle(run, ACK_OP.complete, undefined, 0, payload, result);
    } catch (error) {
      this.#fail(run, envelope, error);
    } finally {
      clearTimeout(timer);
    }
  }

  #fail(run: Run, envelope: JobEnvelope, thrown: unknown): void {
    const error = toError(thrown);
    if (run.rateLimited) {
      // the downstream throttled this run: it goes back to the front of the queue, not counted, and not failed
      this.#settle(run, ACK_OP.handBack, error, 0);
      return;
    }
    const attempt = run.job?.attempt ?? 1;
    let delayMs = -1;
    try {
      if (!isUnrecoverable(error)) delayMs = backoffDelay(envelope.opts.backoff ?? DEFAULT_BACKOFF, attempt);
    } catch {
      // a backoff that cannot be computed: no retry rather than no outcome
    }
    this.#settle(run, ACK_OP.fail, error, Number.isFinite(delayMs) ? delayMs : -1);
  }

  /** Records a run's outcome once, frees its slot and queues its ack. */
  #settle(
    run: Run,
    op: AckOp,
    error: Error | undefined,
    delayMs: number,
    payload = "",
    result?: unknown,
  ): void {
    if (run.settled) return;
    run.settled = true;
    if (this.running.get(run.id) === run) this.running.delete(run.id);
    const ack: Ack = {
      id: run.id,
      token: run.token,
      op,
      payload: op === ACK_OP.complete ? payload : JSON.stringify(serializeError(error, run.attempt)),
      delayMs: Math.round(delayMs),
      job: run.job,
      result,
      failures: 0,
    };
    if (error) ack.error = error;
    this.#acks.add(ack);
    run.span?.end(error);
    try {
      this.#core.events.emit("settled", run.id, run.token);
    } catch (thrown) {
      this.#core.listenerFailed(thrown);
    }
  }
}

/** How error messages name a run's job: `task "x" (job "id")`. Built only when a message needs it. */
function runLabel(job: WorkerJob): string {
  return `task ${quote(job.task)} (job ${quote(job.id)})`;
}
