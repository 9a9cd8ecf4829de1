import type { JobOptions, Queue } from "@tq/client";
import { isTqError } from "@tq/client";
import { sleep } from "@tq/testing";

/** One job to enqueue (the producer gives it its id). */
export interface JobSpec {
  task: string;
  args: unknown;
  opts?: JobOptions;
}

/** Options for {@link Producer.stream}. */
export interface StreamOptions {
  /** How many jobs in all. */
  total: number;
  /** The enqueue rate, in jobs per second. */
  perSecond: number;
  /** The job for the i-th enqueue. */
  make(i: number): JobSpec;
  /**
   * Retry a refused or cut-off enqueue with the same job id until it is acknowledged (the documented way to
   * enqueue through connection faults: an existing id creates nothing). Without it, a failed enqueue is recorded in
   * {@link Producer.refused} and not retried. @defaultValue true
   */
  retry?: boolean;
  /** Enqueue calls in flight at most. @defaultValue 64 */
  inFlight?: number;
}

/** A running stream of enqueues. */
export interface Stream {
  /** Resolves when every enqueue of the stream has been acknowledged or given up. */
  done: Promise<void>;
  /** Stops starting new enqueues (and stops retrying). */
  stop(): void;
}

/**
 * The load generator: enqueues jobs under known ids (`<label>-<n>`) and records which enqueues were acknowledged,
 * when, and which were refused and why.
 */
export class Producer {
  /** Acknowledged job ids, with the time the enqueue resolved (epoch ms). */
  readonly acked = new Map<string, number>();
  /** Job ids whose enqueue failed and was not retried, with the error. */
  readonly refused = new Map<string, unknown>();
  /** Every job the producer tried to enqueue. */
  readonly specs = new Map<string, JobSpec>();
  /** Failed enqueue attempts by error code (retried ones included). */
  readonly errorCodes = new Map<string, number>();
  readonly #queue: Queue;
  readonly #label: string;
  #next = 0;

  constructor(queue: Queue, label: string) {
    this.#queue = queue;
    this.#label = label;
  }

  /** A fresh job id. */
  nextId(): string {
    return `${this.#label}-${this.#next++}`;
  }

  #noteError(error: unknown): void {
    const code = isTqError(error) ? error.code : "OTHER";
    this.errorCodes.set(code, (this.errorCodes.get(code) ?? 0) + 1);
  }

  /** Enqueues one job under `id`; with `retry`, until it is acknowledged or `stopped()` says to give up. */
  async one(
    id: string,
    spec: JobSpec,
    retry: boolean,
    stopped: () => boolean = () => false,
  ): Promise<boolean> {
    this.specs.set(id, spec);
    for (;;) {
      try {
        await this.#queue.enqueue(spec.task, spec.args, { ...spec.opts, jobId: id });
        this.acked.set(id, Date.now());
        this.refused.delete(id);
        return true;
      } catch (error) {
        this.#noteError(error);
        if (!retry || stopped()) {
          this.refused.set(id, error);
          return false;
        }
        await sleep(50);
      }
    }
  }

  /** Enqueues jobs in one `enqueueMany` call; returns their ids, whether or not the call succeeded. */
  async many(specs: readonly JobSpec[]): Promise<{ ids: string[]; error: unknown }> {
    const ids = specs.map(() => this.nextId());
    for (const [i, spec] of specs.entries()) this.specs.set(ids[i] as string, spec);
    try {
      await this.#queue.enqueueMany(
        specs.map((spec, i) => ({
          task: spec.task,
          args: spec.args,
          opts: { ...spec.opts, jobId: ids[i] as string },
        })),
      );
      const now = Date.now();
      for (const id of ids) this.acked.set(id, now);
      return { ids, error: undefined };
    } catch (error) {
      this.#noteError(error);
      for (const id of ids) this.refused.set(id, error);
      return { ids, error };
    }
  }

  /** Enqueues `total` jobs one call each, at `perSecond`, with at most `inFlight` calls outstanding. */
  stream(options: StreamOptions): Stream {
    const retry = options.retry ?? true;
    const limit = options.inFlight ?? 64;
    let stopped = false;
    const done = (async () => {
      const start = Date.now();
      const running = new Set<Promise<unknown>>();
      for (let i = 0; i < options.total && !stopped; i++) {
        const due = start + (i * 1000) / options.perSecond;
        const wait = due - Date.now();
        if (wait > 1) await sleep(wait);
        while (running.size >= limit) await Promise.race(running);
        const call = this.one(this.nextId(), options.make(i), retry, () => stopped).finally(() =>
          running.delete(call),
        );
        running.add(call);
      }
      await Promise.all(running);
    })();
    return {
      done,
      stop: () => {
        stopped = true;
      },
    };
  }
}
