import { type RedisConnection, toTqError } from "@tq/connection";
import { isValidQueueName, queueKeys, queuesKey } from "@tq/protocol";
import { sweep } from "./redis-calls.js";
import type { ResolvedSchedulerOptions } from "./scheduler-options.js";
import { probeQueue } from "./sweep-plan.js";

/** What one sweep of a queue moved (only reported when it moved something). */
export interface SweptEvent {
  queue: string;
  /** Due delayed and retry jobs moved to pending. */
  promoted: number;
  /** Jobs whose lease expired, put back to pending (those out of retries went to failed). */
  requeued: number;
}

/** Where the sweeps report to. */
export interface SweepReports {
  swept(event: SweptEvent): void;
  error(error: Error): void;
}

type SweepOptions = Pick<
  ResolvedSchedulerOptions,
  "prefix" | "queues" | "maxIntervalMs" | "sweepBatch" | "housekeepingIntervalMs"
>;

/**
 * The queue side of the scheduler: knows when each queue next needs a sweep (promote due delayed and retry jobs,
 * take back expired leases, trim failed jobs past their age) and sweeps only the queues whose time has come. Every
 * `maxIntervalMs` it reads those times again (see {@link probeQueue}), which is also how it learns of new queues and
 * of work other processes added; every `housekeepingIntervalMs` it also drops from `<prefix>:queues` the names of
 * queues that are gone.
 */
export class QueueSweeps {
  readonly #options: SweepOptions;
  readonly #report: SweepReports;
  /** When each known queue next needs a sweep, epoch ms on the Redis clock; Infinity when nothing is due. */
  readonly #sweepAt = new Map<string, number>();
  /** Queues that had none of their keys left at the last housekeeping probe. */
  #empty = new Set<string>();
  /** performance.now() of the last probe and of the last housekeeping probe. */
  #probedAt = Number.NEGATIVE_INFINITY;
  #housekeptAt = Number.NEGATIVE_INFINITY;

  constructor(options: SweepOptions, report: SweepReports) {
    this.#options = options;
    this.#report = report;
  }

  /**
   * Notes that a job was just scheduled into `queue`, so the next pass sweeps it and learns its run time without
   * waiting for a probe. False (nothing noted) when this scheduler does not sweep that queue.
   */
  noteNewWork(queue: string): boolean {
    const { queues } = this.#options;
    if (queues && !queues.includes(queue)) return false;
    this.#sweepAt.set(queue, 0);
    return true;
  }

  /**
   * Sweeps the queues with due work: a run time or lease deadline that has come (on the Redis clock `redisNow`),
   * probing first when the last probe is `maxIntervalMs` old. Returns true when a sweep hit `sweepBatch`: that queue
   * is swept again at once, the others are not.
   */
  async sweepDue(c: RedisConnection, redisNow: () => number): Promise<boolean> {
    if (performance.now() - this.#probedAt >= this.#options.maxIntervalMs) await this.#probe(c);
    const due: string[] = [];
    const now = redisNow();
    for (const [queue, at] of this.#sweepAt) if (at <= now) due.push(queue);
    const full = await Promise.all(due.map((queue) => this.#sweep(c, queue, redisNow)));
    return full.includes(true);
  }

  /** Milliseconds until a queue needs a sweep or the next probe is due, whichever is first (may be <= 0). */
  msUntilNext(redisNow: () => number): number {
    let waitMs = Number.POSITIVE_INFINITY;
    for (const at of this.#sweepAt.values()) waitMs = Math.min(waitMs, at - redisNow());
    return Math.min(waitMs, this.#options.maxIntervalMs - (performance.now() - this.#probedAt));
  }

  /** Reads the known queues and when each next needs a sweep; in a housekeeping probe, prunes queues that are gone. */
  async #probe(c: RedisConnection): Promise<void> {
    const { prefix } = this.#options;
    const housekeeping = performance.now() - this.#housekeptAt >= this.#options.housekeepingIntervalMs;
    let queues: readonly string[];
    if (this.#options.queues) {
      queues = this.#options.queues;
    } else {
      const key = queuesKey(prefix);
      const members = await c.send<string[]>(["SMEMBERS", key], key);
      queues = members.map(String).filter((q) => isValidQueueName(q));
    }
    this.#probedAt = performance.now();
    if (housekeeping) this.#housekeptAt = this.#probedAt;
    const known = new Set(queues);
    for (const queue of this.#sweepAt.keys()) if (!known.has(queue)) this.#sweepAt.delete(queue);
    const empty = new Set<string>();
    await Promise.all(
      queues.map(async (queue) => {
        try {
          const probe = await probeQueue(c, prefix, queue, housekeeping);
          this.#sweepAt.set(queue, probe.sweepAt);
          if (probe.exists === false) empty.add(queue);
        } catch (error) {
          this.#sweepAt.delete(queue);
          this.#report.error(toTqError(error, `scheduler: reading queue "${queue}" failed (retrying)`));
        }
      }),
    );
    if (!housekeeping) return;
    const gone = this.#options.queues ? [] : [...empty].filter((queue) => this.#empty.has(queue));
    this.#empty = empty;
    if (gone.length > 0) await this.#prune(c, gone);
  }

  /** Removes names of queues that have no keys left from `<prefix>:queues`, so that nothing reads them again. */
  async #prune(c: RedisConnection, queues: readonly string[]): Promise<void> {
    const key = queuesKey(this.#options.prefix);
    try {
      await c.send(["SREM", key, ...queues], key);
      for (const queue of queues) {
        this.#sweepAt.delete(queue);
        this.#empty.delete(queue);
      }
    } catch (error) {
      this.#report.error(
        toTqError(
          error,
          `scheduler: removing ${queues.length} queue name(s) without keys from "${key}" failed`,
        ),
      );
    }
  }

  /** Sweeps one queue and notes when it next needs one. Returns true when the sweep hit `sweepBatch`. */
  async #sweep(c: RedisConnection, queue: string, redisNow: () => number): Promise<boolean> {
    const batch = this.#options.sweepBatch;
    try {
      const { promoted, requeued, nextWakeMs } = await sweep(c, queueKeys(queue, this.#options.prefix), {
        limit: batch,
      });
      if (promoted + requeued > 0) this.#report.swept({ queue, promoted, requeued });
      const full = promoted >= batch || requeued >= batch;
      // No next wake-up: nothing scheduled or active; the next probe notices new work.
      const at = full
        ? 0
        : nextWakeMs === null
          ? Number.POSITIVE_INFINITY
          : redisNow() + Math.max(1, nextWakeMs);
      if (this.#sweepAt.has(queue)) this.#sweepAt.set(queue, at);
      return full;
    } catch (error) {
      // Tried again after the next probe, not on every pass.
      if (this.#sweepAt.has(queue)) this.#sweepAt.set(queue, Number.POSITIVE_INFINITY);
      this.#report.error(toTqError(error, `scheduler: sweeping queue "${queue}" failed (retrying)`));
      return false;
    }
  }
}
