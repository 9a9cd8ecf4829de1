import { TqError } from "@tq/job-schema";
import { Cron } from "croner";

/**
 * What a schedule does with ticks that no scheduler fired on time (every scheduler was down, or Redis was
 * unreachable):
 * - `"fire-once"`: one job for the whole missed period, as soon as a scheduler is back, then the regular ticks.
 * - `"skip"`: no job for the missed ticks; the schedule resumes at its next future tick.
 */
export type MissedTickPolicy = "fire-once" | "skip";

/** How a schedule treats missed ticks. Stored with the schedule, so every scheduler instance applies the same. */
export interface MissedTickOptions {
  /**
   * What to do with ticks nobody fired on time. `"fire-once"` by default: work such as a nightly report or a billing
   * run should not vanish because a deploy or an outage spanned its time, and one job for the whole period (never
   * one per missed tick) keeps a long outage from flooding the queue. Choose `"skip"` for work that is only useful
   * on time (heartbeats, polling).
   * @defaultValue "fire-once"
   */
  missedTicks?: MissedTickPolicy;
  /**
   * With `missedTicks: "skip"`: a single tick found more than this many milliseconds after its time counts as
   * missed and is skipped. (Whenever a later tick is due as well, the earlier ones count as missed whatever this
   * says.)
   * @defaultValue 60_000
   */
  missedAfterMs?: number;
}

/** A schedule that fires on a cron expression. */
export interface CronTiming extends MissedTickOptions {
  /**
   * A cron expression of 5 fields (minute hour day-of-month month day-of-week) or 6 (with seconds first), or a
   * nickname such as `@daily`, as croner parses it.
   */
  cron: string;
  /**
   * The IANA time zone the expression is read in, e.g. `"Europe/Paris"`. UTC by default, so every scheduler
   * computes the same ticks whatever its machine's zone.
   * @defaultValue "UTC"
   */
  timezone?: string;
  everyMs?: never;
}

/** A schedule that fires at a fixed interval. */
export interface IntervalTiming extends MissedTickOptions {
  /** Milliseconds between ticks (an integer > 0). The first tick is `everyMs` after the schedule is created. */
  everyMs: number;
  cron?: never;
  timezone?: never;
}

/** When a schedule fires: `{ cron, timezone? }` or `{ everyMs }`, plus the missed-tick policy. */
export type ScheduleTiming = CronTiming | IntervalTiming;

/** A validated timing with every default filled in, as stored with the schedule. */
export type ResolvedTiming =
  | { cron: string; timezone: string; missedTicks: MissedTickPolicy; missedAfterMs: number }
  | { everyMs: number; missedTicks: MissedTickPolicy; missedAfterMs: number };

/** The default of {@link MissedTickOptions.missedAfterMs}. */
export const DEFAULT_MISSED_AFTER_MS = 60_000;

const MISSED_POLICIES: readonly MissedTickPolicy[] = ["fire-once", "skip"];

function invalid(name: string, message: string): TqError {
  return new TqError("VALIDATION", `schedule "${name}": ${message}`);
}

/** Whether `zone` is an IANA time zone this runtime knows. */
function isKnownTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat("en-US", { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

function cronOf(pattern: string, timezone: string): Cron {
  return new Cron(pattern, { timezone, paused: true });
}

/** Checks a timing and fills in defaults. Throws `VALIDATION` naming the schedule and what is wrong. */
export function resolveTiming(name: string, timing: unknown): ResolvedTiming {
  if (typeof timing !== "object" || timing === null) {
    throw invalid(name, "timing must be { cron, timezone? } or { everyMs }");
  }
  const t = timing as Record<string, unknown>;
  const missedTicks = t.missedTicks ?? "fire-once";
  if (!MISSED_POLICIES.includes(missedTicks as MissedTickPolicy)) {
    throw invalid(name, `missedTicks must be "fire-once" or "skip", got ${JSON.stringify(t.missedTicks)}`);
  }
  const missedAfterMs = t.missedAfterMs ?? DEFAULT_MISSED_AFTER_MS;
  if (typeof missedAfterMs !== "number" || !Number.isFinite(missedAfterMs) || missedAfterMs < 0) {
    throw invalid(
      name,
      `missedAfterMs must be a number of milliseconds >= 0, got ${String(t.missedAfterMs)}`,
    );
  }
  const policy = { missedTicks: missedTicks as MissedTickPolicy, missedAfterMs };
  const hasCron = t.cron !== undefined;
  const hasEvery = t.everyMs !== undefined;
  if (hasCron === hasEvery) {
    throw invalid(name, "give exactly one of cron (with an optional timezone) or everyMs");
  }
  if (hasEvery) {
    if (t.timezone !== undefined) throw invalid(name, "timezone applies to cron schedules only");
    const everyMs = t.everyMs;
    if (typeof everyMs !== "number" || !Number.isSafeInteger(everyMs) || everyMs <= 0) {
      throw invalid(name, `everyMs must be a whole number of milliseconds > 0, got ${String(everyMs)}`);
    }
    return { everyMs, ...policy };
  }
  if (typeof t.cron !== "string" || t.cron.trim() === "") {
    throw invalid(name, `cron must be a cron expression string, got ${JSON.stringify(t.cron)}`);
  }
  const cron = t.cron.trim();
  const timezone = t.timezone ?? "UTC";
  if (typeof timezone !== "string" || !isKnownTimeZone(timezone)) {
    throw invalid(
      name,
      `unknown time zone ${JSON.stringify(t.timezone)}: use an IANA name such as "UTC" or "Europe/Paris"`,
    );
  }
  let next: Date | null;
  try {
    next = cronOf(cron, timezone).nextRun();
  } catch (error) {
    throw new TqError(
      "VALIDATION",
      `schedule "${name}": invalid cron expression ${JSON.stringify(cron)}: ${(error as Error).message}`,
      { cause: error },
    );
  }
  if (!next) throw invalid(name, `cron expression ${JSON.stringify(cron)} never fires`);
  return { cron, timezone, ...policy };
}

/** Whether two timings fire at the same ticks (the missed-tick policy aside). */
export function sameTicks(a: ResolvedTiming, b: ResolvedTiming): boolean {
  if ("everyMs" in a) return "everyMs" in b && a.everyMs === b.everyMs;
  return "cron" in b && a.cron === b.cron && a.timezone === b.timezone;
}

/** The first tick of a schedule created at `nowMs`; null when it never fires. */
export function firstTick(timing: ResolvedTiming, nowMs: number): number | null {
  if ("everyMs" in timing) return nowMs + timing.everyMs;
  return nextCronTick(timing.cron, timing.timezone, nowMs);
}

/**
 * The first tick strictly after `afterMs`, for a schedule one of whose ticks is `tickMs` (interval schedules keep
 * their phase). Null when the schedule never fires again.
 */
export function nextTick(timing: ResolvedTiming, tickMs: number, afterMs: number): number | null {
  if ("everyMs" in timing) {
    const every = timing.everyMs;
    if (afterMs < tickMs) return tickMs;
    return tickMs + (Math.floor((afterMs - tickMs) / every) + 1) * every;
  }
  return nextCronTick(timing.cron, timing.timezone, afterMs);
}

function nextCronTick(pattern: string, timezone: string, afterMs: number): number | null {
  const next = cronOf(pattern, timezone).nextRun(new Date(afterMs));
  return next ? next.getTime() : null;
}

/** What a scheduler does with a due tick. */
export interface TickPlan {
  /** Whether to enqueue the job of `tickMs`. */
  fire: boolean;
  /** Whether ticks were missed (more than one was due, or the one due was late past `missedAfterMs`). */
  missed: boolean;
  /** The schedule's next fire time; null when it never fires again. */
  nextMs: number | null;
}

/**
 * Decides what to do with the due tick `tickMs` at Redis time `nowMs`. One tick due and on time: fire it. More
 * than one due, or the one due found later than `missedAfterMs`: ticks were missed; `fire-once` fires `tickMs`
 * (the first missed tick stands for the whole period), `skip` fires nothing; either way the schedule moves on to
 * its first tick after `nowMs`.
 */
export function planTick(timing: ResolvedTiming, tickMs: number, nowMs: number): TickPlan {
  const following = nextTick(timing, tickMs, tickMs);
  const several = following !== null && following <= nowMs;
  const missed = several || nowMs - tickMs > timing.missedAfterMs;
  return {
    fire: !missed || timing.missedTicks === "fire-once",
    missed,
    nextMs: several ? nextTick(timing, tickMs, nowMs) : following,
  };
}
