import type { JobInfo } from "@tq/protocol";
import type { ResultWaiter } from "./result-waiter.js";

/** How a watch ends: the finished job, `null` when no such job exists, or the error that stopped the watch. */
export type WatchOutcome = { readonly info: JobInfo | null } | { readonly error: unknown };

/** How {@link JobWatches} reads a job: its state first, the whole record only once it has finished. */
export interface WatchReader {
  /** The job's state field; `null` when no such job exists. */
  state(id: string): Promise<string | null>;
  /** The whole job of a finished job; `null` when it is gone. */
  record(id: string): Promise<JobInfo | null>;
}

interface Watch {
  readonly settlers: Set<(outcome: WatchOutcome) => void>;
  unsubscribe: (() => void) | undefined;
  /** A read is in flight. */
  reading: boolean;
  /** An event arrived during that read: read again when it returns. */
  again: boolean;
  done: boolean;
}

const FINISHED = new Set(["completed", "failed"]);

/** Events that never end a job: no read of its state for them. */
const UNFINISHED_EVENTS: ReadonlySet<string> = new Set([
  "enqueued",
  "started",
  "progress",
  "retrying",
  "stalled",
]);

/**
 * Watches jobs until they finish, for `waitForResult`: one event subscription and one read at a time per job id,
 * however many callers wait for it, and a read of the state alone until the job has finished. 20,000 waiters, or a
 * reconnect that makes all of them look again, cost one small `HGET` per job id, not a full record per waiter.
 */
export class JobWatches {
  readonly #waiter: ResultWaiter;
  readonly #reader: WatchReader;
  readonly #watches = new Map<string, Watch>();

  constructor(waiter: ResultWaiter, reader: WatchReader) {
    this.#waiter = waiter;
    this.#reader = reader;
  }

  /** Calls `settle` once when job `id` has finished, is found missing, or cannot be watched. Returns the way out. */
  watch(id: string, settle: (outcome: WatchOutcome) => void): () => void {
    let watch = this.#watches.get(id);
    if (!watch) {
      const created: Watch = {
        settlers: new Set(),
        unsubscribe: undefined,
        reading: false,
        again: false,
        done: false,
      };
      watch = created;
      this.#watches.set(id, created);
      this.#waiter
        .subscribe(id, (event) => {
          if (!UNFINISHED_EVENTS.has(event)) void this.#check(id, created);
        })
        .then(
          (off) => {
            if (created.done) {
              off();
              return;
            }
            created.unsubscribe = off;
            // The reader is positioned: from here on no finish is missed, so one read tells whether it came before.
            void this.#check(id, created);
          },
          (error: unknown) => this.#settle(id, created, { error }),
        );
    }
    // A caller joining a watch needs no read of its own: the watch read after subscribing and hears every finish.
    const own = watch;
    own.settlers.add(settle);
    return () => {
      own.settlers.delete(settle);
      if (own.settlers.size === 0) this.#end(id, own);
    };
  }

  #end(id: string, watch: Watch): void {
    if (watch.done) return;
    watch.done = true;
    if (this.#watches.get(id) === watch) this.#watches.delete(id);
    watch.unsubscribe?.();
  }

  #settle(id: string, watch: Watch, outcome: WatchOutcome): void {
    if (watch.done) return;
    const settlers = [...watch.settlers];
    this.#end(id, watch);
    for (const settle of settlers) settle(outcome);
  }

  async #check(id: string, watch: Watch): Promise<void> {
    if (watch.done) return;
    if (watch.reading) {
      watch.again = true;
      return;
    }
    watch.reading = true;
    try {
      do {
        watch.again = false;
        const state = await this.#reader.state(id);
        if (watch.done) return;
        if (state === null) {
          this.#settle(id, watch, { info: null });
          return;
        }
        if (FINISHED.has(state)) {
          const info = await this.#reader.record(id);
          this.#settle(id, watch, { info });
          return;
        }
      } while (watch.again && !watch.done);
    } catch (error) {
      this.#settle(id, watch, { error });
    } finally {
      watch.reading = false;
    }
  }
}
