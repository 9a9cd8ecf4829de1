import { EventEmitter } from "node:events";
import { setTimeout as sleep } from "node:timers/promises";
import { RedisConnection, toTqError, warnIfEvictingPolicy } from "@tq/connection";
import { isTask, quote, type Task, TqError } from "@tq/job-schema";
import { registerQueue, retentionFields } from "@tq/protocol";
import { AckBatcher } from "./ack-batcher.js";
import { CancelSubscriber } from "./cancel-subscriber.js";
import { FetchLoop } from "./fetch-loop.js";
import type { Handler, Handlers, TaskHandler, WorkerJob } from "./handlers.js";
import { LeaseRenewer } from "./lease-renewer.js";
import { MarkerWaiter } from "./marker-waiter.js";
import { releaseRuns } from "./redis-calls.js";
import { RunExecutor } from "./run-executor.js";
import { WorkerCore } from "./worker-core.js";
import { hooksOf } from "./worker-hooks.js";
import { resolveWorkerOptions, type WorkerOptions } from "./worker-options.js";
import { WorkerRegistry } from "./worker-registry.js";

/** What {@link Worker.health} says. */
export interface WorkerHealth {
  /** Whether the worker is started and its command connection to Redis is up. */
  connected: boolean;
  /**
   * Whether it is consuming: connected, not closing, and its claim loop has run within its deadline (`maxBlockMs`
   * + 3 s) or every slot is busy.
   */
  consuming: boolean;
  /** When its claim loop last ran, epoch ms (this machine's clock). */
  loopAt: number;
  /** How many jobs are running now. */
  active: number;
}

/** Options for {@link Worker.close}. */
export interface CloseOptions {
  /** Overrides `shutdownTimeoutMs` for this call; `0` aborts running jobs at once. */
  timeoutMs?: number;
}

/** Events a {@link Worker} emits. */
export interface WorkerEvents {
  /** A run started: its handler is about to be called. */
  active: [job: WorkerJob];
  /**
   * A run's outcome was decided in this process (its handler returned or threw, or its `timeoutMs` ran out); its
   * acknowledgement is on its way to Redis.
   */
  settled: [id: string, token: string];
  /** A job completed with `result`. */
  completed: [job: WorkerJob, result: unknown];
  /**
   * A job ended in `failed` (the dead letter). Also for a job cancelled while it ran here (`queue.cancel`): `error`
   * is then a `TqError` with code `CANCELLED`, and the run's `ctx.signal` has aborted with it.
   */
  failed: [job: WorkerJob, error: Error];
  /** A run failed and the job will run again after `delayMs`. */
  retrying: [job: WorkerJob, error: Error, delayMs: number];
  /** Something went wrong outside a job (connection, Redis) or a run lost its lease; the worker keeps going. */
  error: [error: Error];
  /** The worker is consuming. */
  ready: [];
  /** The worker has stopped. */
  closed: [];
}

/**
 * Runs jobs of one queue in this process, `concurrency` at a time. Idle, it blocks on Redis (no polling); busy, it
 * claims and acknowledges jobs in batches, one round trip for many jobs.
 *
 * @example
 * ```ts
 * const worker = new Worker("emails", {
 *   send_email: async ([to, subject]) => ({ delivered: true }),
 * }, { concurrency: 10 });
 * worker.on("failed", (job, error) => console.error(job.id, error.message));
 * await worker.start();
 * ```
 */
export class Worker extends EventEmitter<WorkerEvents> {
  /** The queue this worker consumes. */
  readonly queue: string;
  /** This worker's id (the `workerId` option, or a random UUID): the claims it makes are tagged with it. */
  readonly workerId: string;
  // The parts, each in the file named after it: what they share (options, connection, state, held claims);
  // the blocking wait for work; acks on their way to Redis; the handlers' runs; the claim loop; lease renewal.
  readonly #core: WorkerCore;
  readonly #waiter: MarkerWaiter;
  readonly #acks: AckBatcher;
  readonly #runs: RunExecutor;
  readonly #loop: FetchLoop;
  readonly #leases: LeaseRenewer;
  readonly #registry: WorkerRegistry;
  readonly #cancels: CancelSubscriber;
  #closing: Promise<void> | undefined;

  constructor(queue: string, handlers: Handlers = {}, options: WorkerOptions = {}) {
    super();
    const resolved = resolveWorkerOptions(queue, options);
    this.queue = resolved.queue;
    this.workerId = resolved.workerId;
    const core = new WorkerCore(resolved, hooksOf(options), this);
    this.#core = core;
    this.#waiter = new MarkerWaiter(core);
    const wake = () => this.#loop.wake();
    this.#acks = new AckBatcher(core, () => core.state === "running" && !this.#waiter.blocked, wake);
    this.#runs = new RunExecutor(core, this.#acks, wake);
    this.#loop = new FetchLoop(core, this.#acks, this.#runs, this.#waiter);
    this.#leases = new LeaseRenewer(
      core,
      this.#runs.running,
      (run) => this.#runs.leaseLost(run),
      (run) => this.#runs.cancelled(run),
    );
    this.#cancels = new CancelSubscriber(
      core,
      (id, token) => {
        const run = this.#runs.current(id, token);
        if (run) this.#runs.cancelled(run);
      },
      () => this.#leases.renewNow(),
    );
    this.#registry = new WorkerRegistry(core, () => this.#runs.running.size);
    for (const [name, fn] of Object.entries(handlers)) {
      if (typeof fn !== "function")
        throw new TqError("VALIDATION", `handler for task ${quote(name)} must be a function`);
      this.#runs.register(name, fn as Handler<unknown, unknown>, undefined);
    }
  }

  /**
   * Registers a handler: for a task contract, args are validated before the handler runs (invalid args fail the
   * job without retries) and the result is validated after.
   */
  handle<T extends Task>(task: T, fn: TaskHandler<T>): this;
  handle(task: string, fn: Handler): this;
  handle(task: string | Task, fn: Handler<never, unknown>): this {
    if (typeof fn !== "function") throw new TqError("VALIDATION", "handle(task, fn): fn must be a function");
    const name = typeof task === "string" ? task : task.name;
    this.#runs.register(name, fn as Handler<unknown, unknown>, isTask(task) ? task : undefined);
    return this;
  }

  /** The task names this worker can run. */
  get tasks(): string[] {
    return this.#runs.tasks;
  }

  /** How many jobs are running now. */
  get activeCount(): number {
    return this.#runs.running.size;
  }

  /** Whether the worker is consuming. */
  get isRunning(): boolean {
    return this.#core.state === "running";
  }

  /**
   * Whether this worker is connected and consuming, for a liveness check. Synchronous and cheap: it reads what the
   * worker knows (its connection's state, when its claim loop last ran), nothing is sent to Redis.
   */
  health(): WorkerHealth {
    const core = this.#core;
    const active = this.#runs.running.size;
    const connected = core.command?.client.isReady !== false && core.command !== undefined;
    const loopFresh = Date.now() - core.loopAt <= this.#registry.staleMs;
    const consuming =
      connected && core.state === "running" && (loopFresh || active >= core.options.concurrency);
    return { connected, consuming, loopAt: core.loopAt, active };
  }

  /** Connects and starts consuming. Resolves once the worker is consuming; throws `CONNECTION` if Redis is unreachable. */
  async start(): Promise<void> {
    const core = this.#core;
    if (core.state !== "new") {
      if (core.state === "running" || core.state === "starting") return;
      throw new TqError("CLOSED", `${core.label} is closed; create a new Worker`);
    }
    core.state = "starting";
    const { prefix, retention } = core.options;
    try {
      const command = await RedisConnection.open(core.options.connection, { onError: () => {} });
      core.command = command;
      const report = (error: TqError) => core.reportError(error);
      const setup: Promise<unknown>[] = [
        registerQueue(command, prefix, this.queue, report, toTqError),
        warnIfEvictingPolicy(command, `worker for queue "${this.queue}"`, report),
      ];
      if (retention) {
        setup.push(command.send(["HSET", core.keys.meta, ...retentionFields(retention)], core.keys.meta));
      }
      await Promise.all(setup);
      await this.#waiter.open();
      await this.#cancels.open();
    } catch (error) {
      core.state = "closed";
      await this.#cancels.close();
      await core.command?.close();
      this.#waiter.close();
      throw toTqError(error, `${core.label}: cannot start`);
    }
    core.state = "running";
    core.loopAt = Date.now();
    await this.#registry.start();
    this.#leases.start();
    this.#loop.start();
    this.emit("ready");
  }

  /**
   * Stops claiming, waits up to `shutdownTimeoutMs` for running jobs to finish, then aborts the rest (their
   * `ctx.signal`) and hands them back to the queue without counting the run. Closes only connections tq created.
   */
  close(options: CloseOptions = {}): Promise<void> {
    this.#closing ??= this.#close(options.timeoutMs ?? this.#core.options.shutdownTimeoutMs);
    return this.#closing;
  }

  async #close(graceMs: number): Promise<void> {
    const core = this.#core;
    const wasStarted = core.state === "running";
    core.state = "closing";
    if (!wasStarted) {
      core.state = "closed";
      this.emit("closed");
      return;
    }
    const draining = this.#registry.draining();
    this.#waiter.unblock();
    this.#loop.wake();
    // Claims in flight still start their jobs; wait for them so that every job this worker holds is known below.
    await this.#loop.stopped();
    // Leases keep being renewed while the jobs finish.
    const deadline = Date.now() + graceMs;
    while (this.#runs.running.size > 0 && Date.now() < deadline) {
      await sleep(Math.min(50, Math.max(1, deadline - Date.now())));
    }
    const unfinished = this.#runs.abandonAll();
    this.#leases.stop();
    await this.#acks.drain();
    if (unfinished.length > 0 && core.command) {
      try {
        await releaseRuns(core.command, core.keys, unfinished);
      } catch (error) {
        core.reportError(
          toTqError(error, `${core.label}: releasing unfinished jobs failed; their leases will expire`),
        );
      }
    }
    this.#waiter.close();
    await this.#cancels.close();
    await this.#loop.stopped();
    await draining;
    await this.#registry.stop();
    await core.command?.close();
    core.command = undefined;
    core.state = "closed";
    this.emit("closed");
  }
}
