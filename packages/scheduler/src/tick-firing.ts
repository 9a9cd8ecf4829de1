import { type RedisConnection, toTqError } from "@tq/connection";
import { TqError } from "@tq/job-schema";
import { type PreparedJob, queueKeys, type ScheduleKeys } from "@tq/protocol";
import { advance, due, fire } from "./redis-calls.js";
import { decodeSchedule, type StoredSchedule, tickJob, tickJobId } from "./schedule-definition.js";
import type { ScheduleStore } from "./schedule-store.js";
import { type MissedTickPolicy, planTick, type TickPlan } from "./timing.js";

/** A schedule tick that this scheduler turned into a job. */
export interface FiredEvent {
  /** The schedule's name. */
  schedule: string;
  /** The tick, epoch ms on the Redis clock. */
  tickMs: number;
  /** The job's id: `<schedule>:<tickMs>`. */
  jobId: string;
  queue: string;
  task: string;
}

/** Ticks of a schedule that nobody fired on time (reported by the scheduler that moved the schedule on). */
export interface MissedEvent {
  schedule: string;
  /** The first missed tick, epoch ms. */
  tickMs: number;
  /** The policy applied. */
  policy: MissedTickPolicy;
  /** Whether one job was enqueued for the missed ticks (`fire-once`). */
  fired: boolean;
  /** The schedule's next fire time, epoch ms; null when it never fires again. */
  nextRunAt: number | null;
}

/** Where the firing reports to. */
export interface FiringReports {
  fired(event: FiredEvent): void;
  missed(event: MissedEvent): void;
  error(error: Error): void;
}

/** What one firing pass found and did. */
export interface FiringPass {
  /** The Redis clock when the due ticks were read, epoch ms, and `performance.now()` at that moment. */
  nowMs: number;
  readAt: number;
  /** The earliest next fire time of all schedules, as far as this pass knows; Infinity for none. */
  nextTickAt: number;
  /** Run the next pass at once: more ticks may be due, or a schedule moved under this pass. */
  again: boolean;
  /** A tick was not due yet on its queue's Redis node: try again soon. */
  retrySoon: boolean;
}

/** Due schedules handled per pass; more are handled by the next pass, at once. */
const DUE_BATCH = 100;

/** What a pass does with one due tick. */
interface PlannedTick {
  name: string;
  tick: number;
  /** The definition as read ("" = none: the advance drops the schedule's score). */
  text: string;
  stored: StoredSchedule | undefined;
  plan: TickPlan | undefined;
  fired: boolean;
  /** Not advanced in this pass: the tick is not due on its queue's node yet, or the fire call failed. */
  skip?: boolean;
}

/**
 * Turns due schedule ticks into jobs: reads the due ticks on the Redis clock, applies each schedule's missed-tick
 * policy ({@link planTick}), enqueues the jobs (one `fire` call per target queue) and moves the schedules on (one
 * `advance` call for all of them), however many schedules were due at once.
 */
export class TickFiring {
  readonly #prefix: string;
  readonly #keys: ScheduleKeys;
  readonly #store: ScheduleStore;
  readonly #maxPayloadBytes: number;
  readonly #report: FiringReports;

  constructor(
    prefix: string,
    keys: ScheduleKeys,
    store: ScheduleStore,
    maxPayloadBytes: number,
    report: FiringReports,
  ) {
    this.#prefix = prefix;
    this.#keys = keys;
    this.#store = store;
    this.#maxPayloadBytes = maxPayloadBytes;
    this.#report = report;
  }

  /** Fires the ticks due now (up to {@link DUE_BATCH}) and says when the next one is. */
  async firePass(c: RedisConnection): Promise<FiringPass> {
    const { nowMs, nextAtMs, ticks } = await due(c, this.#keys, { limit: DUE_BATCH });
    const readAt = performance.now();
    // More may be due than one pass takes: the next pass runs at once. Otherwise the schedules moved on here are
    // folded into the wake-up time, so that all of them wait for their next tick together, with no extra pass.
    const pass: FiringPass = {
      nowMs,
      readAt,
      nextTickAt: nextAtMs,
      again: ticks.length >= DUE_BATCH,
      retrySoon: false,
    };
    if (ticks.length === 0) return pass;
    const texts = await this.#store.definitions(
      c,
      ticks.map((t) => t.name),
    );
    const outcome = await this.#handleDue(
      c,
      ticks.map((t, i) => ({ name: t.name, tick: t.tickMs, text: texts[i] ?? null })),
      nowMs,
    );
    pass.retrySoon = outcome.retry;
    if (outcome.unknown) pass.again = true;
    pass.nextTickAt = Math.min(pass.nextTickAt, outcome.nextTickAt);
    return pass;
  }

  /**
   * Fires (or skips) the due ticks of a pass, then moves their schedules on.
   *
   * Order matters: the jobs are enqueued first, then the schedules advanced. A scheduler that dies in between leaves
   * the ticks due; the next pass (of any scheduler) fires them again, which the fire script turns into a no-op.
   * A tick the queue's Redis node says is not due yet (clocks of cluster nodes differ by a few milliseconds), or
   * whose queue refused the fire call, is not advanced: the next pass tries it again.
   *
   * Returns the earliest next fire time of the schedules it moved on, whether a tick must be tried again soon
   * (`retry`), and whether a schedule was fired but moved meanwhile by another scheduler or an upsert (`unknown`:
   * look again at once).
   */
  async #handleDue(
    c: RedisConnection,
    dueTicks: ReadonlyArray<{ name: string; tick: number; text: string | null }>,
    now: number,
  ): Promise<{ nextTickAt: number; retry: boolean; unknown: boolean }> {
    const plans: PlannedTick[] = [];
    const byQueue = new Map<string, Array<{ planned: PlannedTick; job: PreparedJob }>>();
    for (const { name, tick, text } of dueTicks) {
      if (text === null) {
        plans.push({ name, tick, text: "", stored: undefined, plan: undefined, fired: false });
        continue;
      }
      let stored: StoredSchedule;
      try {
        stored = decodeSchedule(name, text);
      } catch (error) {
        this.#report.error(error as Error);
        continue;
      }
      const plan = planTick(stored.timing, tick, now);
      const planned: PlannedTick = { name, tick, text, stored, plan, fired: false };
      plans.push(planned);
      if (!plan.fire) continue;
      const job = this.#tickJob(name, tick, stored);
      if (!job) continue;
      const list = byQueue.get(stored.queue) ?? [];
      list.push({ planned, job });
      byQueue.set(stored.queue, list);
    }
    let retry = false;
    await Promise.all(
      [...byQueue].map(async ([queue, list]) => {
        try {
          const outcomes = await fire(c, queueKeys(queue, this.#prefix), {
            ticks: list.map(({ planned: p, job }) => ({ name: p.name, tickMs: p.tick, job })),
          });
          for (const [i, { planned: p }] of list.entries()) {
            if (outcomes[i] === "not-due") {
              p.skip = true;
              retry = true;
            } else {
              p.fired = outcomes[i] === "created";
            }
          }
        } catch (error) {
          for (const { planned } of list) planned.skip = true;
          this.#report.error(
            toTqError(error, `scheduler: firing ${list.length} schedule tick(s) into queue "${queue}"`),
          );
        }
      }),
    );
    const moving = plans.filter((p) => !p.skip);
    let nextTickAt = Number.POSITIVE_INFINITY;
    let unknown = false;
    if (moving.length === 0) return { nextTickAt, retry, unknown };
    let advanced: boolean[];
    let failedAdvance = false;
    try {
      advanced = await advance(c, this.#keys, {
        schedules: moving.map((p) => ({
          name: p.name,
          tickMs: p.tick,
          seen: p.text,
          nextMs: p.plan?.nextMs ?? null,
        })),
      });
    } catch (error) {
      this.#report.error(toTqError(error, `scheduler: moving ${moving.length} schedule(s) on`));
      // Whatever fired stays fired (the fire script never repeats a tick); the ticks stay due, and a later pass
      // advances them. Not at once: a refusal would repeat.
      advanced = moving.map(() => false);
      failedAdvance = true;
    }
    for (const [i, p] of moving.entries()) {
      const { stored, plan } = p;
      if (!stored || !plan) continue;
      if (p.fired) {
        this.#report.fired({
          schedule: p.name,
          tickMs: p.tick,
          jobId: tickJobId(p.name, p.tick),
          queue: stored.queue,
          task: stored.task,
        });
      }
      if (advanced[i]) {
        if (plan.missed) {
          this.#report.missed({
            schedule: p.name,
            tickMs: p.tick,
            policy: stored.timing.missedTicks,
            fired: plan.fire,
            nextRunAt: plan.nextMs,
          });
        }
        if (plan.nextMs !== null) nextTickAt = Math.min(nextTickAt, plan.nextMs);
      } else if (p.fired && !failedAdvance) {
        unknown = true;
      }
    }
    return { nextTickAt, retry, unknown };
  }

  /** The job of a tick, or undefined (reported) when the stored schedule cannot build one. */
  #tickJob(name: string, tick: number, stored: StoredSchedule): PreparedJob | undefined {
    try {
      return tickJob(name, tick, stored, this.#maxPayloadBytes);
    } catch (error) {
      // Its tick is skipped, not retried for ever: the schedule must be fixed with upsertSchedule.
      this.#report.error(
        new TqError(
          (error as TqError).code ?? "VALIDATION",
          `schedule "${name}": cannot build the job of tick ${tick}, skipping it: ${(error as Error).message}`,
          { cause: error },
        ),
      );
      return undefined;
    }
  }
}
