import { setTimeout as sleep } from "node:timers/promises";
import { type RedisConnection, toTqError } from "@tq/connection";
import { TqError } from "@tq/job-schema";
import type { WorkerCore } from "./worker-core.js";

/** Beyond `maxBlockMs`, how long a new blocking connection may take to answer its first command. */
const OPEN_REPLY_MARGIN_MS = 5_000;

/**
 * How an idle worker waits for work without polling: a blocking read (BZPOPMIN) of the queue's marker, which
 * producers and promotions touch, on a connection of its own. The command connection ends a read early with
 * CLIENT UNBLOCK.
 */
export class MarkerWaiter {
  readonly #core: WorkerCore;
  #blocking: RedisConnection | undefined;
  #blockingId: string | undefined;
  #blocked = false;
  #wakeTimer: NodeJS.Timeout | undefined;

  constructor(core: WorkerCore) {
    this.#core = core;
  }

  /** Whether a blocking read is in progress. */
  get blocked(): boolean {
    return this.#blocked;
  }

  /** Opens the blocking connection (a duplicate of the command connection). */
  async open(): Promise<void> {
    const command = this.#core.command;
    if (!command) throw new TqError("CLOSED", "worker is not started");
    const blocking = await command.duplicate();
    this.#blocking = blocking;
    // A server that accepts the connection but does not answer (CLIENT PAUSE, a socket that died silently) must
    // not hold the loop: past the deadline the connection is dropped and the next wait opens a new one.
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<"hung">((resolve) => {
      timer = setTimeout(() => resolve("hung"), this.#core.options.maxBlockMs + OPEN_REPLY_MARGIN_MS);
    });
    try {
      const id = await Promise.race([
        blocking.send<number>(["CLIENT", "ID"], this.#core.keys.marker),
        deadline,
      ]);
      if (id === "hung") {
        this.#blocking = undefined;
        this.#blockingId = undefined;
        blocking.destroy();
        throw new TqError("CONNECTION", "the new blocking connection got no reply to CLIENT ID");
      }
      this.#blockingId = String(id);
    } catch (error) {
      if (error instanceof TqError) throw error;
      this.#blockingId = undefined;
    } finally {
      clearTimeout(timer);
    }
  }

  /**
   * Blocks on the queue's marker until work arrives, `nextWakeMs` (the next timed event; -1 none) or `maxBlockMs`
   * has passed, or {@link unblock} is called.
   */
  async wait(nextWakeMs: number): Promise<void> {
    if (nextWakeMs === 0) return;
    const core = this.#core;
    const { maxBlockMs } = core.options;
    const waitMs = nextWakeMs < 0 ? maxBlockMs : Math.min(nextWakeMs, maxBlockMs);
    if (!this.#blocking) {
      try {
        await this.open();
      } catch (error) {
        core.reportError(toTqError(error, `${core.label}: blocking connection failed (retrying)`));
        await sleep(Math.min(waitMs, 1_000));
        return;
      }
    }
    const blocking = this.#blocking;
    if (!blocking) return;
    this.#blocked = true;
    // Redis checks blocking timeouts only about every 100 ms; a local timer unblocks the call on time instead.
    if (nextWakeMs > 0 && nextWakeMs <= maxBlockMs && this.#blockingId) {
      this.#wakeTimer = setTimeout(() => this.unblock(), nextWakeMs);
    }
    // A watchdog for a socket that died without telling anyone: no reply well past the timeout means a new connection.
    let watchdog: NodeJS.Timeout | undefined;
    const hung = new Promise<"hung">((resolve) => {
      watchdog = setTimeout(() => resolve("hung"), waitMs + 5_000);
    });
    try {
      const marker = core.keys.marker;
      const result = await Promise.race([
        blocking.send(["BZPOPMIN", marker, (Math.max(waitMs, 1) / 1000).toFixed(3)], marker),
        hung,
      ]);
      if (result === "hung") throw new Error("blocking read got no reply past its timeout");
    } catch (error) {
      if (core.state === "running") {
        core.reportError(toTqError(error, `${core.label}: blocking read failed (reconnecting)`));
        await sleep(50);
      }
      blocking.destroy();
      if (this.#blocking === blocking) {
        this.#blocking = undefined;
        this.#blockingId = undefined;
      }
    } finally {
      clearTimeout(watchdog);
      clearTimeout(this.#wakeTimer);
      this.#wakeTimer = undefined;
      this.#blocked = false;
    }
  }

  /** Ends the blocking read now (CLIENT UNBLOCK from the command connection). */
  unblock(): void {
    const command = this.#core.command;
    if (!this.#blocked || !this.#blockingId || !command) return;
    command.send(["CLIENT", "UNBLOCK", this.#blockingId], this.#core.keys.marker).catch(() => {});
  }

  /** Closes the blocking connection. */
  close(): void {
    this.#blocking?.destroy();
    this.#blocking = undefined;
    this.#blockingId = undefined;
  }
}
