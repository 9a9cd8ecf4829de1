import { TqError } from "./errors.js";

/** The largest `max` of a rate limit: the window's log holds one entry per start, so this bounds its memory. */
export const MAX_RATE_LIMIT = 1_000_000;

/** The longest rate-limit window: one day. */
export const MAX_RATE_LIMIT_DURATION_MS = 86_400_000;

/** The largest global concurrency. */
export const MAX_CONCURRENCY = 1_000_000;

/** The longest `ctx.rateLimit(ms)` hold: one day. */
export const MAX_HOLD_MS = 86_400_000;

/** A queue's rate limit: at most `max` job starts in any interval of `durationMs` milliseconds, across every worker. */
export interface RateLimitOptions {
  max: number;
  durationMs: number;
}

function integerIn(value: unknown, name: string, max: number): number {
  if (typeof value !== "number" || !Number.isInteger(value) || value < 1 || value > max) {
    throw new TqError(
      "VALIDATION",
      `${name} must be an integer from 1 to ${max.toLocaleString("en-US")}, got ${typeof value === "number" ? value : typeof value}`,
    );
  }
  return value;
}

/**
 * Checks a rate limit (null clears it). Throws a `VALIDATION` {@link TqError} naming what is wrong; `name` is the
 * setting's name in the message.
 */
export function checkRateLimit(limit: unknown, name = "rateLimit"): RateLimitOptions | null {
  if (limit === null) return null;
  if (typeof limit !== "object" || limit === undefined) {
    throw new TqError("VALIDATION", `${name} must be { max, durationMs } or null to remove it`);
  }
  const { max, durationMs } = limit as Record<string, unknown>;
  return {
    max: integerIn(max, `${name}.max`, MAX_RATE_LIMIT),
    durationMs: integerIn(durationMs, `${name}.durationMs`, MAX_RATE_LIMIT_DURATION_MS),
  };
}

/**
 * Checks a concurrency limit (null clears it). Throws a `VALIDATION` {@link TqError} naming what is wrong; `name` is
 * the setting's name in the message.
 */
export function checkConcurrency(value: unknown, name = "concurrency"): number | null {
  if (value === null) return null;
  return integerIn(value, name, MAX_CONCURRENCY);
}

/** Checks the milliseconds of a `ctx.rateLimit(ms)` hold. */
export function checkHoldMs(value: unknown): number {
  return integerIn(typeof value === "number" ? Math.ceil(value) : value, "rateLimit ms", MAX_HOLD_MS);
}
