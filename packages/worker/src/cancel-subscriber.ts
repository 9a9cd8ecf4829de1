import { type RedisConnection, toTqError } from "@tq/connection";
import { parseCancelMessage } from "@tq/protocol";
import type { WorkerCore } from "./worker-core.js";

/** The part of a node-redis client (or cluster) a subscriber uses. */
interface Subscribable {
  subscribe(channel: string, listener: (message: string, channel: string) => void): Promise<void>;
  on(event: "ready", listener: () => void): unknown;
  off(event: "ready", listener: () => void): unknown;
}

/**
 * Hears of the worker's running jobs that `queue.cancel` failed: a connection of its own subscribed to the queue's
 * cancel channel (a connection in subscribed mode can run no other command), off the claim and ack path. Each
 * message, `<id> <token>`, is handed to `cancelled`, which aborts that run if this worker holds it.
 *
 * node-redis subscribes again by itself after a reconnect; messages published while the connection was down are
 * lost, so each reconnect calls `resync` (an immediate lease renewal, which reports runs whose job was cancelled).
 * Between a drop and the reconnect, renewals every `leaseMs / 3` cover it the same way.
 */
export class CancelSubscriber {
  readonly #core: WorkerCore;
  readonly #cancelled: (id: string, token: string) => void;
  readonly #resync: () => void;
  #connection: RedisConnection | undefined;
  #onReady: (() => void) | undefined;

  constructor(core: WorkerCore, cancelled: (id: string, token: string) => void, resync: () => void) {
    this.#core = core;
    this.#cancelled = cancelled;
    this.#resync = resync;
  }

  /**
   * Opens the subscriber connection (a duplicate of the command connection) and subscribes. A failure (an ACL user
   * without the channel, say) is reported and the worker goes on: cancelled runs are then noticed at their next
   * lease renewal instead of at once.
   */
  async open(): Promise<void> {
    const core = this.#core;
    const command = core.command;
    if (!command) return;
    let connection: RedisConnection | undefined;
    try {
      connection = await command.duplicate();
      const client = connection.client as unknown as Subscribable;
      await client.subscribe(core.keys.cancelChannel, (message) => this.#message(message));
      // `ready` comes again after each reconnect, once node-redis has subscribed again
      const onReady = () => this.#resync();
      client.on("ready", onReady);
      this.#onReady = onReady;
      this.#connection = connection;
    } catch (error) {
      connection?.destroy();
      core.reportError(
        toTqError(
          error,
          `${core.label}: cannot subscribe to ${core.keys.cancelChannel}; cancelled jobs will be stopped at their next lease renewal instead of at once`,
        ),
      );
    }
  }

  #message(message: string): void {
    const run = parseCancelMessage(message);
    if (!run) return;
    try {
      this.#cancelled(run.id, run.token);
    } catch (error) {
      this.#core.listenerFailed(error);
    }
  }

  /** Closes the subscriber connection. */
  async close(): Promise<void> {
    const connection = this.#connection;
    this.#connection = undefined;
    if (!connection) return;
    if (this.#onReady) (connection.client as unknown as Subscribable).off("ready", this.#onReady);
    this.#onReady = undefined;
    await connection.close();
  }
}
