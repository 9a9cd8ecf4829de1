import { type RedisConnection, reconnectDelayMs } from "@tq/connection";
import { decodeEventEntry, type QueueKeys } from "@tq/protocol";
import { newestEntryId, readAfter } from "./stream-tail.js";

/** Gets a job's event name, or "gap" when events may have been missed. */
type Listener = (event: string) => void;

/** How long one XREAD blocks, in milliseconds, before the reader checks whether anyone still waits. */
const BLOCK_MS = 2_000;

/** Entries per XREAD. */
const READ_COUNT = 500;

/**
 * Follows a queue's event stream on one dedicated connection and tells waiters when their job finishes. The
 * reader runs only while someone waits; it starts from the stream's newest entry, so a waiter that registers before
 * checking the job's state misses nothing.
 */
export class ResultWaiter {
  readonly #keys: QueueKeys;
  readonly #open: () => Promise<RedisConnection>;
  readonly #listeners = new Map<string, Set<Listener>>();
  #connection: RedisConnection | undefined;
  #running: Promise<void> | undefined;
  #baseline: Promise<string> | undefined;
  #closed = false;

  constructor(keys: QueueKeys, open: () => Promise<RedisConnection>) {
    this.#keys = keys;
    this.#open = open;
  }

  /**
   * Registers `listener` for the job's terminal events and resolves once the reader is positioned, so that any
   * event after this moment is delivered. Returns the function that unregisters it.
   */
  async subscribe(id: string, listener: Listener): Promise<() => void> {
    let set = this.#listeners.get(id);
    if (!set) {
      set = new Set();
      this.#listeners.set(id, set);
    }
    set.add(listener);
    const unsubscribe = () => {
      const s = this.#listeners.get(id);
      if (!s) return;
      s.delete(listener);
      if (s.size === 0) this.#listeners.delete(id);
    };
    try {
      this.#ensureRunning();
      await this.#baseline;
    } catch (error) {
      unsubscribe();
      throw error;
    }
    return unsubscribe;
  }

  #ensureRunning(): void {
    if (this.#running) return;
    let resolveBaseline!: (id: string) => void;
    let rejectBaseline!: (error: unknown) => void;
    this.#baseline = new Promise<string>((resolve, reject) => {
      resolveBaseline = resolve;
      rejectBaseline = reject;
    });
    this.#baseline.catch(() => {});
    this.#running = this.#run(resolveBaseline, rejectBaseline).finally(() => {
      this.#running = undefined;
      if (this.#listeners.size > 0 && !this.#closed) this.#ensureRunning();
    });
  }

  async #run(resolveBaseline: (id: string) => void, rejectBaseline: (error: unknown) => void): Promise<void> {
    let lastId: string;
    try {
      this.#connection ??= await this.#open();
      lastId = await newestEntryId(this.#connection, this.#keys.events);
      resolveBaseline(lastId);
    } catch (error) {
      rejectBaseline(error);
      // earlier waiters keep the reader alive: restart it after a pause, not in a tight loop
      await new Promise((resolve) => setTimeout(resolve, 500));
      return;
    }
    let failures = 0;
    while (!this.#closed && this.#listeners.size > 0) {
      try {
        this.#connection ??= await this.#open();
        const batch = await readAfter(this.#connection, this.#keys.events, lastId, READ_COUNT, BLOCK_MS);
        // Back from a dropped connection, or behind the capped stream: events may have been missed, and every
        // waiter re-checks its job.
        if (failures > 0 || batch.trimmedPast) this.#notifyGap();
        failures = 0;
        for (const entry of batch.entries) {
          lastId = entry.id;
          // one entry names the jobs of every kind of event of one script call
          for (const { type, jobId } of decodeEventEntry(entry)) {
            const set = this.#listeners.get(jobId);
            if (set) for (const listener of [...set]) listener(type);
          }
        }
      } catch {
        if (this.#closed) return;
        failures++;
        await new Promise((resolve) => setTimeout(resolve, reconnectDelayMs(failures + 1)));
      }
    }
  }

  #notifyGap(): void {
    for (const set of [...this.#listeners.values()]) for (const listener of [...set]) listener("gap");
  }

  /** Stops the reader and drops its connection. */
  close(): void {
    this.#closed = true;
    this.#connection?.destroy();
    this.#connection = undefined;
  }
}
