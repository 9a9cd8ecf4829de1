import { hostname } from "node:os";
import { toTqError } from "@tq/connection";
import { heartbeat, removeWorker } from "@tq/protocol";
import { WORKER_VERSION } from "./version.js";
import type { WorkerCore } from "./worker-core.js";

/** How often a worker renews its registry entry, in milliseconds. */
export const REGISTRY_HEARTBEAT_MS = 2_000;
/** How long an entry lives without a heartbeat, in milliseconds: a worker killed with -9 disappears after this. */
export const REGISTRY_TTL_MS = 10_000;
/** Beyond `maxBlockMs` and one heartbeat interval, how long the loop may go without running before it is stale. */
export const LOOP_MARGIN_MS = 1_000;

/**
 * This worker's entry in its queue's registry (`<base>workers` + `<base>worker:<id>`): written at start, renewed
 * every {@link REGISTRY_HEARTBEAT_MS} by a timer (one script call, off the claim path), marked `draining` when
 * close begins and removed when it ends. A failed heartbeat is reported on `error`; the worker goes on.
 */
export class WorkerRegistry {
  readonly #core: WorkerCore;
  readonly #active: () => number;
  readonly #staleMs: number;
  #timer: NodeJS.Timeout | undefined;
  #startedAt: number | undefined;
  #inFlight: Promise<void> | undefined;
  #state: "running" | "draining" = "running";

  constructor(core: WorkerCore, active: () => number) {
    this.#core = core;
    this.#active = active;
    this.#staleMs = core.options.maxBlockMs + REGISTRY_HEARTBEAT_MS + LOOP_MARGIN_MS;
  }

  /** The loop's deadline: how long it may go without running while it has free slots, in milliseconds. */
  get staleMs(): number {
    return this.#staleMs;
  }

  /** Registers the worker and starts the heartbeat timer. */
  async start(): Promise<void> {
    await this.beat();
    this.#timer = setInterval(() => void this.beat(), REGISTRY_HEARTBEAT_MS);
    this.#timer.unref();
  }

  /** Marks the entry `draining` (close has begun; no new claims). */
  async draining(): Promise<void> {
    this.#state = "draining";
    await this.beat();
  }

  /** Stops the heartbeats and removes the entry. */
  async stop(): Promise<void> {
    clearInterval(this.#timer);
    this.#timer = undefined;
    await this.#inFlight;
    const core = this.#core;
    if (!core.command) return;
    try {
      await removeWorker(core.command, core.keys, { workerId: core.options.workerId });
    } catch (error) {
      core.reportError(
        toTqError(
          error,
          `${core.label}: removing its registry entry failed; it expires in ${REGISTRY_TTL_MS} ms`,
        ),
      );
    }
  }

  /** One heartbeat; at most one is in flight (a slow Redis skips beats rather than queueing them). */
  beat(): Promise<void> {
    this.#inFlight ??= this.#send().finally(() => {
      this.#inFlight = undefined;
    });
    return this.#inFlight;
  }

  async #send(): Promise<void> {
    const core = this.#core;
    const command = core.command;
    if (!command) return;
    const { workerId, concurrency, maxBlockMs } = core.options;
    try {
      const now = await heartbeat(command, core.keys, {
        workerId,
        ttlMs: REGISTRY_TTL_MS,
        startedAt: this.#startedAt,
        loopAgeMs: Math.max(0, Date.now() - core.loopAt),
        fields: {
          host: hostname(),
          pid: process.pid,
          concurrency,
          version: WORKER_VERSION,
          active: this.#active(),
          processed: core.processed,
          failed: core.failed,
          state: this.#state,
          maxBlockMs,
          staleMs: this.#staleMs,
        },
      });
      this.#startedAt ??= now;
    } catch (error) {
      core.reportError(toTqError(error, `${core.label}: registry heartbeat failed (retrying)`));
    }
  }
}
