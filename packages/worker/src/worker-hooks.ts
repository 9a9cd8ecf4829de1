// What a supervisor (a WorkerPool child process) learns of its Worker's runs beyond the public events: which runs
// the process holds, from their claim until it no longer runs them, and the timeout of each run that starts.
// Not exported from the package root.
import type { WorkerJob } from "./handlers.js";
import type { WorkerOptions } from "./worker-options.js";

/** A claimed run: the job and the claim's fencing token. */
export interface RunRef {
  id: string;
  token: string;
}

/** What a supervisor needs to know about a run whose handler is starting. */
export interface ActiveRun extends RunRef {
  /** The job's `timeoutMs`, in milliseconds, if it has one. */
  timeoutMs: number | undefined;
  /** How long the job would wait before its next run if this run failed now, in milliseconds. */
  retryDelayMs: number;
}

/** Called synchronously by the Worker; none may throw. */
export interface WorkerHooks {
  /** Jobs were claimed, before any of their handlers runs. */
  claimed?(runs: readonly RunRef[]): void;
  /** A run's handler is about to be called. */
  active?(job: WorkerJob, run: ActiveRun): void;
  /** This process no longer runs the job: the run's outcome reached Redis, its lease was lost, or it was handed back. */
  ended?(id: string, token: string): void;
}

const NO_HOOKS: WorkerHooks = {};
const attached = new WeakMap<WorkerOptions, WorkerHooks>();

/** `options` for a Worker that reports its runs to `hooks`. */
export function withHooks(options: WorkerOptions, hooks: WorkerHooks): WorkerOptions {
  const copy = { ...options };
  attached.set(copy, hooks);
  return copy;
}

/** The hooks `options` were made with by {@link withHooks}, or none. */
export function hooksOf(options: WorkerOptions): WorkerHooks {
  return attached.get(options) ?? NO_HOOKS;
}
