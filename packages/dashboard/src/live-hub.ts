import type { Queue } from "@tq/client";
import type { QueueSnapshot } from "./dashboard-data.js";

/** Receives a queue's snapshot each time it is read again. */
export type SnapshotListener = (snapshot: QueueSnapshot) => void;

/** The shortest time between two reads of one queue's stats, in milliseconds, however many events arrive. */
export const MIN_REFRESH_MS = 500;

/**
 * One queue's live feed: a single reader of the queue's events (`queue.events()`) shared by every browser watching
 * the queue. An event marks the snapshot stale; it is read again at most every {@link MIN_REFRESH_MS} and handed
 * to every listener. Nothing is read while no event arrives.
 */
class QueueFeed {
  readonly listeners = new Set<SnapshotListener>();
  readonly #queue: Queue;
  readonly #read: (queue: Queue) => Promise<QueueSnapshot>;
  readonly #abort = new AbortController();
  #timer: NodeJS.Timeout | undefined;
  #lastReadAt = 0;
  #reading = false;
  #again = false;
  #last: QueueSnapshot | undefined;

  constructor(queue: Queue, read: (queue: Queue) => Promise<QueueSnapshot>) {
    this.#queue = queue;
    this.#read = read;
    void this.#follow();
  }

  async #follow(): Promise<void> {
    try {
      for await (const _event of this.#queue.events({ signal: this.#abort.signal })) this.stale();
    } catch {
      // the queue closed under the reader (dashboard closing); nothing to do
    }
  }

  /** Schedules a read: now if the last was long enough ago, else when {@link MIN_REFRESH_MS} has passed. */
  stale(): void {
    if (this.#abort.signal.aborted || this.#timer) return;
    if (this.#reading) {
      this.#again = true;
      return;
    }
    const wait = Math.max(0, this.#lastReadAt + MIN_REFRESH_MS - Date.now());
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      void this.#refresh();
    }, wait);
  }

  /**
   * Gives a new listener the latest snapshot, or reads one. The page it came from was rendered from a read of its
   * own; an older snapshot it gets here is ignored by the page (each carries the Redis-clock time it was read at).
   */
  greet(listener: SnapshotListener): void {
    if (this.#last && Date.now() - this.#lastReadAt < MIN_REFRESH_MS) listener(this.#last);
    else this.stale();
  }

  async #refresh(): Promise<void> {
    this.#reading = true;
    this.#lastReadAt = Date.now();
    try {
      const snapshot = await this.#read(this.#queue);
      if (this.#abort.signal.aborted) return;
      this.#last = snapshot;
      for (const listener of this.listeners) listener(snapshot);
    } catch {
      // Redis unreachable for a moment: the next event (or the next browser) reads again
    } finally {
      this.#reading = false;
      if (this.#again) {
        this.#again = false;
        this.stale();
      }
    }
  }

  stop(): void {
    this.#abort.abort();
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.listeners.clear();
  }
}

/** The live feeds of the queues that some browser watches: one per queue, stopped when its last browser leaves. */
export class LiveHub {
  readonly #feeds = new Map<string, QueueFeed>();
  readonly #read: (queue: Queue) => Promise<QueueSnapshot>;

  constructor(read: (queue: Queue) => Promise<QueueSnapshot>) {
    this.#read = read;
  }

  /** How many queues have a live reader now. */
  get readers(): number {
    return this.#feeds.size;
  }

  /** Sends `listener` every new snapshot of `queues` (the first as soon as there is one); returns the way out. */
  subscribe(queues: readonly Queue[], listener: SnapshotListener): () => void {
    const joined: QueueFeed[] = [];
    for (const queue of queues) {
      let feed = this.#feeds.get(queue.name);
      if (!feed) {
        feed = new QueueFeed(queue, this.#read);
        this.#feeds.set(queue.name, feed);
      }
      feed.listeners.add(listener);
      feed.greet(listener);
      joined.push(feed);
    }
    return () => {
      for (const [name, feed] of this.#feeds) {
        if (!joined.includes(feed)) continue;
        feed.listeners.delete(listener);
        if (feed.listeners.size === 0) {
          feed.stop();
          this.#feeds.delete(name);
        }
      }
    };
  }

  /**
   * Reads the queue's snapshot again for its watchers: after an action of this dashboard that changes what they see
   * without an event (pause, resume).
   */
  touch(queue: string): void {
    this.#feeds.get(queue)?.stale();
  }

  /** Stops every reader. */
  close(): void {
    for (const feed of this.#feeds.values()) feed.stop();
    this.#feeds.clear();
  }
}
