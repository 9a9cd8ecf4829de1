import { TqError } from "./errors.js";

/**
 * The longest delay a Node.js timer can wait, in milliseconds (2³¹−1, about 24.8 days). `setTimeout` and
 * `setInterval` fire after 1 ms for anything larger, so every duration tq turns into a timer is checked against it.
 */
export const MAX_TIMER_MS = 2_147_483_647;

/** Options for {@link checkTimerMs}. */
export interface CheckTimerOptions {
  /** The smallest value accepted, in milliseconds. @defaultValue 0 */
  min?: number;
  /** Whether `Infinity` is accepted, meaning "no timer" (returned as `undefined`). @defaultValue false */
  allowInfinity?: boolean;
}

/**
 * Checks a duration that becomes a Node.js timer: a finite number from `min` to {@link MAX_TIMER_MS}, or, when
 * `allowInfinity` is set, `Infinity` for no timer at all (returned as `undefined`). Throws a `VALIDATION`
 * {@link TqError} naming the option otherwise.
 */
export function checkTimerMs(
  value: unknown,
  name: string,
  options: CheckTimerOptions = {},
): number | undefined {
  const min = options.min ?? 0;
  if (options.allowInfinity && value === Number.POSITIVE_INFINITY) return undefined;
  if (typeof value !== "number" || !Number.isFinite(value) || value < min || value > MAX_TIMER_MS) {
    throw new TqError(
      "VALIDATION",
      `${name} must be a number of milliseconds from ${min} to ${MAX_TIMER_MS} (about 24.8 days)` +
        `${options.allowInfinity ? ", or Infinity for no limit" : ""}, got ${String(value)}`,
    );
  }
  return value;
}
