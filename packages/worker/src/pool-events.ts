import type { TqError } from "@tq/job-schema";
import type { LostRunOutcome } from "./redis-calls.js";

/** A child process of the pool. */
export interface PoolChild {
  /** The child's slot, 0 to `processes - 1`; a replacement takes the slot of the child it replaces. */
  index: number;
  pid: number;
}

/** Why a child ended. */
export type PoolExitReason =
  /** It died on its own: crash, `process.exit()` in a handler, OOM kill, a signal from outside. */
  | "crashed"
  /** The pool killed it because a handler overran its `timeoutMs` without yielding. */
  | "timeout"
  /**
   * The pool killed it because its event loop had been blocked for longer than `leaseMs` (no heartbeat), so it
   * could no longer renew its leases: a handler that never yields, on a job without `timeoutMs`.
   */
  | "unresponsive"
  /** It could not start (handlers module, Redis). */
  | "start-failed"
  /** It stopped cleanly (on `close()`, or on a SIGTERM/SIGINT sent to it). */
  | "stopped"
  /** The pool killed it because it had not stopped by the end of the shutdown grace. */
  | "shutdown-timeout";

/** What the pool did with one run of a child that ended. */
export interface PoolExitRun {
  id: string;
  /** `retrying`/`failed`: recorded as a failed run; `released`: handed back uncounted; `unchanged`: already over. */
  outcome: LostRunOutcome | "released";
}

/** A child process ended. */
export interface PoolChildExit extends PoolChild {
  code: number | null;
  signal: NodeJS.Signals | null;
  reason: PoolExitReason;
  /** The runs it held when it ended. */
  runs: PoolExitRun[];
  /** When the replacement starts, in milliseconds from now; `undefined` when there is none (the pool is closing). */
  restartInMs: number | undefined;
  /** The child's own error, for `start-failed`. */
  error?: TqError;
}

/** Events a {@link WorkerPool} emits. */
export interface WorkerPoolEvents {
  /** Every child is consuming (once, at `start()`). */
  ready: [];
  /** A child is consuming (at start and after each restart). */
  online: [child: PoolChild];
  /** A child process ended; `reason` and `code`/`signal` say why. */
  exit: [exit: PoolChildExit];
  /** Something went wrong in the pool (a child could not start, Redis refused to record a lost run). */
  error: [error: TqError];
  /** The pool has stopped: every child has exited. */
  closed: [];
}
