import { toTqError } from "@tq/connection";
import { extendLeases } from "./redis-calls.js";
import type { Run } from "./run-executor.js";
import type { WorkerCore } from "./worker-core.js";

/**
 * Renews the lease of every run in progress, all in one call, every `leaseMs / 3`. A run whose lease Redis no longer
 * holds is handed to `lost`.
 */
export class LeaseRenewer {
  readonly #core: WorkerCore;
  readonly #running: ReadonlyMap<string, Run>;
  readonly #lost: (run: Run) => void;
  #timer: NodeJS.Timeout | undefined;

  constructor(core: WorkerCore, running: ReadonlyMap<string, Run>, lost: (run: Run) => void) {
    this.#core = core;
    this.#running = running;
    this.#lost = lost;
  }

  start(): void {
    const everyMs = Math.max(50, Math.floor(this.#core.options.leaseMs / 3));
    this.#timer = setInterval(() => void this.#renew(), everyMs);
    this.#timer.unref();
  }

  stop(): void {
    clearInterval(this.#timer);
  }

  async #renew(): Promise<void> {
    const core = this.#core;
    const command = core.command;
    if (!command || this.#running.size === 0) return;
    const runs = [...this.#running.values()];
    let lost: string[];
    try {
      const reply = await extendLeases(command, core.keys, { leaseMs: core.options.leaseMs, runs });
      lost = [...reply.cancelled, ...reply.lost];
    } catch (error) {
      core.reportError(toTqError(error, `${core.label}: renewing leases failed (retrying)`));
      return;
    }
    for (const id of lost) {
      const run = runs.find((r) => r.id === id);
      if (!run || run.settled || this.#running.get(id) !== run) continue;
      this.#lost(run);
    }
  }
}
