import type { EventEmitter } from "node:events";
import type { RedisConnection } from "@tq/connection";
import { quote, TqError } from "@tq/job-schema";
import { type QueueKeys, queueKeys, type TakeResult } from "@tq/protocol";
import type { AckInput } from "./redis-calls.js";
import { take } from "./redis-calls.js";
import { describeThrown, toError } from "./serialize-error.js";
import type { WorkerEvents } from "./worker.js";
import type { WorkerHooks } from "./worker-hooks.js";
import type { ResolvedWorkerOptions } from "./worker-options.js";

export type WorkerState = "new" | "starting" | "running" | "closing" | "closed";

/**
 * What the parts of one Worker share: its options, its command connection and state, the claims it holds, and where
 * it reports what goes wrong.
 */
export class WorkerCore {
  readonly queue: string;
  /** How messages name this worker: `worker for queue "emails"`. */
  readonly label: string;
  readonly keys: QueueKeys;
  state: WorkerState = "new";
  /** The command connection, from `start()` until `close()` ends. */
  command: RedisConnection | undefined;
  /** Every claim this worker knows it holds (id → token), from its claim until its outcome reached Redis. */
  readonly held = new Map<string, string>();
  /** When the claim loop last turned (`Date.now()`), for the registry and `health()`. */
  loopAt = Date.now();
  /** Runs whose outcome reached Redis since start: all of them, and those that failed (retried or dead-lettered). */
  processed = 0;
  failed = 0;

  constructor(
    readonly options: ResolvedWorkerOptions,
    readonly hooks: WorkerHooks,
    readonly events: EventEmitter<WorkerEvents>,
  ) {
    this.queue = options.queue;
    this.label = `worker for queue ${quote(options.queue)}`;
    this.keys = queueKeys(options.queue, options.prefix);
  }

  /** Records `acks` and claims up to `claim` jobs, in one round trip. */
  take(acks: readonly AckInput[], claim: number): Promise<TakeResult> {
    const command = this.command;
    if (!command) return Promise.reject(new TqError("CLOSED", "worker is closed"));
    const { workerId, leaseMs, maxResultBytes } = this.options;
    return take(command, this.keys, { workerId, leaseMs, claim, maxResultBytes, acks });
  }

  /** This process no longer runs the job: its outcome reached Redis, its lease was lost, or it was handed back. */
  ended(id: string, token: string): void {
    if (this.held.get(id) === token) this.held.delete(id);
    this.hooks.ended?.(id, token);
  }

  reportError(error: Error): void {
    if (this.events.listenerCount("error") > 0) this.events.emit("error", error);
    else
      this.options.logger.error(
        { queue: this.queue, workerId: this.options.workerId, err: error },
        error.message,
      );
  }

  /** An event listener threw while the worker reported an outcome: the worker goes on. */
  listenerFailed(error: unknown): void {
    try {
      this.reportError(
        new TqError(
          "HANDLER",
          `${this.label}: an event listener threw: ${describeThrown(toError(error).message)}`,
          { cause: error },
        ),
      );
    } catch {
      // an "error" listener threw too: nothing more to tell
    }
  }
}
