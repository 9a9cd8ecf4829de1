// One child process of a WorkerPool, seen from the supervisor: it forks the child, talks to it over IPC, keeps the
// runs it holds, arms the hard timeout of each timed run, watches its heartbeat, and kills it. What the child's end
// means for its runs is decided by the pool (pool-exit.ts), not here.
import { type ChildProcess, fork } from "node:child_process";
import { randomUUID } from "node:crypto";
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { toTqError } from "@tq/connection";
import { MAX_TIMER_MS, quote, TqError } from "@tq/job-schema";
import type { Logger } from "./handlers.js";
import type { ChildConfig, ToChild } from "./pool-protocol.js";
import { describeForeignMessage, parseFromChild } from "./pool-protocol.js";

/** A run a child holds, from its claim until the child says it no longer runs it. */
export interface TrackedRun {
  token: string;
  task: string | undefined;
  /** The job's `timeoutMs`, once its handler has started (only runs with one are reported as active). */
  timeoutMs: number | undefined;
  /** How long the job would wait before its next run if this run failed now, in milliseconds. */
  retryDelayMs: number;
  /** The hard timeout: fires `timeoutMs + hardTimeoutGraceMs` after the handler started. */
  timer: NodeJS.Timeout | undefined;
  /** Whether this run's handler overran its hard timeout (the child is killed for it). */
  overran: boolean;
}

/** Why the pool killed a child, if it did. */
export type KillReason = "timeout" | "unresponsive" | "shutdown";

/** What a {@link ChildHandle} needs from its pool. */
export interface ChildHandleOptions {
  /** The slot the child runs in (0 to `processes - 1`). */
  index: number;
  /** The compiled child entry (see {@link childEntry}). */
  entry: string;
  execArgv: string[];
  env: NodeJS.ProcessEnv;
  /** What the child runs with, except its `workerId`, which is this handle's. */
  config: (workerId: string) => ChildConfig;
  /** How long the child may take to start consuming, in milliseconds. */
  startTimeoutMs: number;
  /** How long past a run's `timeoutMs` its handler may go on without yielding, in milliseconds. */
  hardTimeoutGraceMs: number;
  /** How long the child may stay silent (no heartbeat) before it counts as unresponsive, in milliseconds. */
  unresponsiveMs: number;
  /** The pool's logger, with the queue's name bound. */
  logger: Logger;
  /** The queue name as it appears in messages. */
  quoted: string;
  /** The child is consuming. */
  onReady: (child: ChildHandle) => void;
  /** The child ended and every message it sent has been seen; `exited` resolves when the promise settles. */
  onClose: (child: ChildHandle, code: number | null, signal: NodeJS.Signals | null) => Promise<void>;
  /** The child process failed in a way that is not an exit (it could not be spawned, a signal failed). */
  onError: (error: TqError) => void;
}

/** The compiled child entry: beside this file in `dist/`, or in `dist/` when this file runs from `src/`. */
export function childEntry(): string {
  const here = typeof __filename === "string" ? dirname(__filename) : dirname(fileURLToPath(import.meta.url));
  const candidates = [join(here, "pool-child.js"), join(here, "..", "dist", "pool-child.js")];
  const found = candidates.find((path) => existsSync(path));
  if (!found) {
    throw new TqError(
      "VALIDATION",
      `WorkerPool cannot find its child entry (looked for ${candidates.join(" and ")}); build @tq/worker first`,
    );
  }
  return found;
}

/** A forked child process running one Worker, and what the supervisor knows of it. */
export class ChildHandle {
  readonly index: number;
  readonly pid: number;
  /** The id its Worker tags claims with, so the pool can hand back claims the child took with it when it died. */
  readonly workerId = randomUUID();
  /** When the child started consuming; `undefined` while it has not. */
  readyAt: number | undefined;
  /** Why the pool killed it, if it did. */
  killReason: KillReason | undefined;
  /** Whether it said it closed its Worker cleanly (every unfinished run handed back) before exiting. */
  closedCleanly = false;
  /** Whether its Worker said it was consuming in its latest heartbeat. */
  consuming = false;
  /** Why it could not start, as it said itself. */
  fatal: TqError | undefined;
  /** Settles when it is consuming, or rejects when it cannot start (its own error, an exit, `startTimeoutMs`). */
  readonly ready: Promise<void>;
  /** Resolves once it has ended and its pool has handled the end. */
  readonly exited: Promise<void>;
  readonly #options: ChildHandleOptions;
  readonly #proc: ChildProcess;
  /** The channel key this child puts in every message it sends: what lacks it is not the pool's (a handler's own). */
  readonly #key = randomUUID();
  readonly #runs = new Map<string, TrackedRun>();
  /** Whether a message that is not the pool's has been logged for this child (once per child). */
  #foreignLogged = false;
  /** When the child last sent anything (it sends a heartbeat every second while its event loop turns). */
  #lastSeenAt = Date.now();
  #settleReady: ((error?: TqError) => void) | undefined;
  /** `metrics` requests waiting for their reply, by request number. */
  readonly #metricsRequests = new Map<
    number,
    (metrics: Array<Record<string, unknown>> | undefined) => void
  >();
  #metricsRequest = 0;
  #exited = false;

  /** Forks the child and sends it its config. */
  constructor(options: ChildHandleOptions) {
    this.#options = options;
    this.index = options.index;
    const proc = fork(options.entry, [], {
      execArgv: options.execArgv,
      env: options.env,
      stdio: ["ignore", "inherit", "inherit", "ipc"],
      serialization: "advanced",
    });
    this.#proc = proc;
    this.pid = proc.pid ?? -1;
    this.ready = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.rejectReady(
          new TqError(
            "TIMEOUT",
            `worker pool for queue ${options.quoted}: child process ${this.pid} did not start consuming within ${options.startTimeoutMs} ms`,
          ),
        );
        proc.kill("SIGKILL");
      }, options.startTimeoutMs);
      this.#settleReady = (error) => {
        clearTimeout(timer);
        this.#settleReady = undefined;
        if (error) reject(error);
        else resolve();
      };
    });
    let markExited: () => void = () => {};
    this.exited = new Promise<void>((resolve) => {
      markExited = resolve;
    });
    proc.on("message", (message: unknown) => this.#onMessage(message));
    const finish = (code: number | null, signal: NodeJS.Signals | null) => {
      if (this.#exited) return;
      this.#exited = true;
      for (const finish of [...this.#metricsRequests.values()]) finish(undefined);
      options.onClose(this, code, signal).then(markExited, markExited);
    };
    // "close" comes after "exit" and after the IPC channel is drained: every message the child sent has been seen.
    proc.on("close", finish);
    proc.on("error", (error) => {
      options.onError(
        toTqError(error, `worker pool for queue ${options.quoted}: child process ${this.pid} failed`),
      );
      if (proc.pid === undefined) finish(null, null);
    });
    this.#send({ t: "start", config: options.config(this.workerId), key: this.#key });
  }

  /** Whether the child has not exited yet. */
  get isAlive(): boolean {
    return !this.#exited;
  }

  /**
   * Whether the child is consuming, as far as the supervisor knows: ready, alive, heard from within `silentMs`, and
   * its latest heartbeat said its Worker is consuming. Otherwise, why not.
   */
  healthProblem(now: number, silentMs: number): string | undefined {
    if (!this.isAlive) return "exited";
    if (this.readyAt === undefined) return "starting";
    if (now - this.#lastSeenAt > silentMs) return `silent for ${now - this.#lastSeenAt} ms`;
    if (!this.consuming) return "not consuming";
    return undefined;
  }

  /** Makes {@link ready} reject with `error`, if the child has not started consuming yet. */
  rejectReady(error: TqError): void {
    this.#settleReady?.(error);
  }

  /** Asks the child to stop claiming, let its runs finish within `timeoutMs`, hand back the rest and exit. */
  stop(timeoutMs: number): void {
    if (this.isAlive) this.#send({ t: "close", timeoutMs });
  }

  /**
   * The child's histograms (prom-client's `getMetricsAsJSON()`), or `undefined` when it does not answer within
   * `timeoutMs` (it is starting, blocked or gone).
   */
  metrics(timeoutMs: number): Promise<Array<Record<string, unknown>> | undefined> {
    if (!this.isAlive || this.readyAt === undefined) return Promise.resolve(undefined);
    const n = ++this.#metricsRequest;
    return new Promise((resolve) => {
      const timer = setTimeout(() => finish(undefined), timeoutMs);
      const finish = (metrics: Array<Record<string, unknown>> | undefined) => {
        clearTimeout(timer);
        this.#metricsRequests.delete(n);
        resolve(metrics);
      };
      this.#metricsRequests.set(n, finish);
      this.#send({ t: "metrics", n });
    });
  }

  /** Kills the child (SIGKILL); the first reason given is the one its exit reports. */
  kill(reason: KillReason): void {
    this.killReason ??= reason;
    this.#proc.kill("SIGKILL");
  }

  /**
   * Kills the child if its event loop has been blocked for longer than `unresponsiveMs`: its leases are lost by
   * now, and a child that never turns its loop again would hold its slot forever.
   */
  checkHeartbeat(now: number): void {
    if (this.readyAt === undefined || !this.isAlive || this.killReason) return;
    const silentMs = now - this.#lastSeenAt;
    if (silentMs <= this.#options.unresponsiveMs) return;
    this.#options.logger.warn(
      { pid: this.pid },
      `worker process ${this.pid} has not responded for ${silentMs} ms (its event loop is blocked, so its leases cannot be renewed); killing it (SIGKILL)`,
    );
    this.kill("unresponsive");
  }

  /** The runs the child held, in the order it claimed them; the handle forgets them and their hard timeouts. */
  takeRuns(): Array<[id: string, run: TrackedRun]> {
    for (const run of this.#runs.values()) clearTimeout(run.timer);
    const entries = [...this.#runs.entries()];
    this.#runs.clear();
    return entries;
  }

  #send(message: ToChild): void {
    if (!this.#proc.connected) return;
    try {
      // A child that is already gone is handled on "close"; a failed send changes nothing.
      this.#proc.send(message, () => {});
    } catch {
      // same
    }
  }

  #onMessage(received: unknown): void {
    const message = parseFromChild(received, this.#key);
    if (!message) {
      // Handler code may use the IPC channel too (process.send): what is not the pool's is ignored, and said once.
      if (!this.#foreignLogged) {
        this.#foreignLogged = true;
        this.#options.logger.warn(
          { pid: this.pid },
          `worker process ${this.pid} sent an IPC message that is not the pool's, ignored (is a handler calling process.send()?): ${quote(describeForeignMessage(received))}; further ones from this process are ignored without a log line`,
        );
      }
      return;
    }
    this.#lastSeenAt = Date.now();
    switch (message.t) {
      case "claimed": {
        const runs = message.runs;
        for (let i = 0; i + 1 < runs.length; i += 2) {
          const id = runs[i] as string;
          const previous = this.#runs.get(id);
          if (previous) clearTimeout(previous.timer);
          this.#runs.set(id, {
            token: runs[i + 1] as string,
            task: undefined,
            timeoutMs: undefined,
            retryDelayMs: 0,
            timer: undefined,
            overran: false,
          });
        }
        break;
      }
      case "active": {
        const run = this.#runs.get(message.id);
        if (!run || run.token !== message.token) break;
        run.task = message.task;
        run.timeoutMs = message.timeoutMs;
        run.retryDelayMs = message.retryDelayMs;
        const hardMs = message.timeoutMs + this.#options.hardTimeoutGraceMs;
        // Beyond setTimeout's range (about 24.8 days) the hard timeout is not enforced.
        if (hardMs <= MAX_TIMER_MS) {
          run.timer = setTimeout(() => this.#onOverrun(message.id, message.token), hardMs);
        }
        break;
      }
      case "settled": {
        // The child's Worker has ended these runs itself (a result, an error, its own timeout): their handlers
        // yielded, so the hard timeout no longer applies, however long the outcome takes to reach Redis.
        const runs = message.runs;
        for (let i = 0; i + 1 < runs.length; i += 2) {
          const run = this.#runs.get(runs[i] as string);
          if (run && run.token === runs[i + 1]) {
            clearTimeout(run.timer);
            run.timer = undefined;
          }
        }
        break;
      }
      case "ended": {
        const runs = message.runs;
        for (let i = 0; i + 1 < runs.length; i += 2) {
          const id = runs[i] as string;
          const run = this.#runs.get(id);
          if (run && run.token === runs[i + 1]) {
            clearTimeout(run.timer);
            this.#runs.delete(id);
          }
        }
        break;
      }
      case "ready": {
        this.readyAt = Date.now();
        this.consuming = true;
        this.#settleReady?.();
        this.#options.onReady(this);
        break;
      }
      case "fatal": {
        this.fatal = new TqError(
          message.code,
          `worker pool for queue ${this.#options.quoted}: child process ${this.pid} could not start: ${message.message}`,
        );
        break;
      }
      case "closed":
        this.closedCleanly = true;
        break;
      case "alive":
        this.consuming = message.consuming;
        break;
      case "metrics":
        this.#metricsRequests.get(message.n)?.(message.metrics);
        break;
    }
  }

  /** A handler ran past its timeoutMs plus the grace without its child failing the run: kill the child. */
  #onOverrun(id: string, token: string): void {
    const run = this.#runs.get(id);
    if (!run || run.token !== token || !this.isAlive) return;
    run.overran = true;
    if (this.killReason) return;
    this.#options.logger.warn(
      { pid: this.pid, jobId: id },
      `job ${quote(id)} (task ${quote(run.task ?? "?")}) ran past its timeoutMs of ${run.timeoutMs} ms (+${this.#options.hardTimeoutGraceMs} ms grace) without yielding; killing worker process ${this.pid} (SIGKILL)`,
    );
    this.kill("timeout");
  }
}
