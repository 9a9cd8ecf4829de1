import { toTqError } from "@tq/connection";
import { extendLeases } from "./redis-calls.js";
import type { Run } from "./run-executor.js";
import type { WorkerCore } from "./worker-core.js";

/**
 * Renews the lease of every run in progress, all in one call, every `leaseMs / 3`. A run whose lease Redis no longer
 * holds is handed to `lost`; one whose job was cancelled while it ran (a cancel message this worker missed) to
 * `cancelled`.
 */
export class LeaseRenewer {
  readonly #core: WorkerCore;
  readonly #running: ReadonlyMap<string, Run>;
  readonly #lost: (run: Run) => void;
  readonly #cancelled: (run: Run) => void;
  #timer: NodeJS.Timeout | undefined;
  #renewing: Promise<void> | undefined;
  #again = false;

  constructor(
    core: WorkerCore,
    running: ReadonlyMap<string, Run>,
    lost: (run: Run) => void,
    cancelled: (run: Run) => void,
  ) {
    this.#core = core;
    this.#running = running;
    this.#lost = lost;
    this.#cancelled = cancelled;
  }

  start(): void {
    const everyMs = Math.max(50, Math.floor(this.#core.options.leaseMs / 3));
    this.#timer = setInterval(() => this.renewNow(), everyMs);
    this.#timer.unref();
  }

  stop(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
  }

  /**
   * Renews now, off schedule (the cancel subscriber reconnected and may have missed messages). One call at a time:
   * a request during a call runs once more after it.
   */
  renewNow(): void {
    if (this.#timer === undefined) return;
    if (this.#renewing) {
      this.#again = true;
      return;
    }
    this.#renewing = this.#renew().finally(() => {
      this.#renewing = undefined;
      if (this.#again) {
        this.#again = false;
        this.renewNow();
      }
    });
  }

  async #renew(): Promise<void> {
    const core = this.#core;
    const command = core.command;
    if (!command || this.#running.size === 0) return;
    const runs = [...this.#running.values()];
    let reply: { lost: string[]; cancelled: string[] };
    try {
      reply = await extendLeases(command, core.keys, { leaseMs: core.options.leaseMs, runs });
    } catch (error) {
      core.reportError(toTqError(error, `${core.label}: renewing leases failed (retrying)`));
      return;
    }
    const current = (id: string): Run | undefined => {
      const run = runs.find((r) => r.id === id);
      return run && !run.settled && this.#running.get(id) === run ? run : undefined;
    };
    for (const id of reply.cancelled) {
      const run = current(id);
      if (run) this.#cancelled(run);
    }
    for (const id of reply.lost) {
      const run = current(id);
      if (run) this.#lost(run);
    }
  }
}
