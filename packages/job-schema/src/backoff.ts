import { TqError } from "./errors.js";

/** How long to wait before running a failed job again. */
export type BackoffOptions =
  | {
      type: "exponential";
      /** The delay in milliseconds after the first failed run; doubled after each further failure. @defaultValue 1000 */
      delayMs?: number;
      /** The longest delay in milliseconds. @defaultValue 3_600_000 (one hour) */
      maxDelayMs?: number;
      /** Spread retries of many jobs failing together: each delay is picked in [delay/2, delay]. @defaultValue true */
      jitter?: boolean;
    }
  | {
      type: "fixed";
      /** The delay in milliseconds before every retry. */
      delayMs: number;
      /** Pick each delay in [delayMs/2, delayMs]. @defaultValue false */
      jitter?: boolean;
    };

/** A backoff with every field filled in. */
export interface ResolvedBackoff {
  type: "exponential" | "fixed";
  delayMs: number;
  maxDelayMs: number;
  jitter: boolean;
}

/** The backoff a job gets when it names none: exponential from 1 s, capped at one hour, with jitter. */
export const DEFAULT_BACKOFF: ResolvedBackoff = Object.freeze({
  type: "exponential",
  delayMs: 1_000,
  maxDelayMs: 3_600_000,
  jitter: true,
});

function nonNegative(value: unknown, name: string): number {
  if (typeof value !== "number" || !Number.isFinite(value) || value < 0) {
    throw new TqError(
      "VALIDATION",
      `backoff.${name} must be a finite number of milliseconds >= 0, got ${String(value)}`,
    );
  }
  return value;
}

function flag(value: unknown, fallback: boolean): boolean {
  if (value === undefined) return fallback;
  if (typeof value !== "boolean") {
    throw new TqError("VALIDATION", `backoff.jitter must be true or false, got ${JSON.stringify(value)}`);
  }
  return value;
}

/** Checks a backoff option and fills in its defaults. Throws `VALIDATION` on a bad value. */
export function resolveBackoff(backoff: BackoffOptions | undefined): ResolvedBackoff {
  if (backoff === undefined) return DEFAULT_BACKOFF;
  if (typeof backoff !== "object" || backoff === null) {
    throw new TqError(
      "VALIDATION",
      `backoff must be { type: "exponential" | "fixed", delayMs }, got ${String(backoff)}`,
    );
  }
  if (backoff.type === "fixed") {
    return {
      type: "fixed",
      delayMs: nonNegative(backoff.delayMs, "delayMs"),
      maxDelayMs: Number.MAX_SAFE_INTEGER,
      jitter: flag(backoff.jitter, false),
    };
  }
  if (backoff.type === "exponential") {
    return {
      type: "exponential",
      delayMs: nonNegative(backoff.delayMs ?? DEFAULT_BACKOFF.delayMs, "delayMs"),
      maxDelayMs: nonNegative(backoff.maxDelayMs ?? DEFAULT_BACKOFF.maxDelayMs, "maxDelayMs"),
      jitter: flag(backoff.jitter, true),
    };
  }
  throw new TqError(
    "VALIDATION",
    `backoff.type must be "exponential" or "fixed", got ${JSON.stringify((backoff as { type?: unknown }).type)}`,
  );
}

/**
 * The delay in milliseconds before the next run, after run number `attempt` (1-based) failed.
 * Exponential: `delayMs * 2^(attempt-1)`, capped at `maxDelayMs`. With jitter the delay is drawn from
 * `[d/2, d]`, so a burst of failures does not come back as a burst of retries.
 */
export function backoffDelay(
  backoff: ResolvedBackoff,
  attempt: number,
  random: () => number = Math.random,
): number {
  const n = Math.max(1, Math.floor(attempt));
  let delay =
    backoff.type === "fixed"
      ? backoff.delayMs
      : Math.min(backoff.maxDelayMs, backoff.delayMs * 2 ** Math.min(n - 1, 52));
  if (backoff.jitter) delay = delay / 2 + random() * (delay / 2);
  return Math.round(delay);
}
