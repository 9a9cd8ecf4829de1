import { describe, expect, test } from "vitest";
import { backoffDelay, DEFAULT_BACKOFF, type ResolvedBackoff, resolveBackoff } from "./backoff.js";

const never = () => {
  throw new Error("random() must not be called without jitter");
};

describe("resolveBackoff", () => {
  test("defaults to exponential from 1 s, capped at one hour, with jitter", () => {
    expect(resolveBackoff(undefined)).toBe(DEFAULT_BACKOFF);
    expect(DEFAULT_BACKOFF).toEqual({
      type: "exponential",
      delayMs: 1_000,
      maxDelayMs: 3_600_000,
      jitter: true,
    });
    expect(resolveBackoff({ type: "exponential" })).toEqual(DEFAULT_BACKOFF);
  });

  test("fixed has no cap and no jitter unless asked", () => {
    expect(resolveBackoff({ type: "fixed", delayMs: 200 })).toEqual({
      type: "fixed",
      delayMs: 200,
      maxDelayMs: Number.MAX_SAFE_INTEGER,
      jitter: false,
    });
    expect(resolveBackoff({ type: "fixed", delayMs: 200, jitter: true }).jitter).toBe(true);
  });
});

describe("backoffDelay", () => {
  test("fixed: the same delay after every run", () => {
    const fixed = resolveBackoff({ type: "fixed", delayMs: 250 });
    for (const attempt of [1, 2, 3, 10, 100]) expect(backoffDelay(fixed, attempt, never)).toBe(250);
  });

  test("exponential: delayMs * 2^(attempt-1)", () => {
    const exp = resolveBackoff({ type: "exponential", delayMs: 100, jitter: false });
    expect([1, 2, 3, 4, 5].map((n) => backoffDelay(exp, n, never))).toEqual([100, 200, 400, 800, 1_600]);
  });

  test("exponential: capped at maxDelayMs, also for huge attempt numbers", () => {
    const exp = resolveBackoff({ type: "exponential", delayMs: 100, maxDelayMs: 1_000, jitter: false });
    expect([4, 5, 6, 50, 5_000].map((n) => backoffDelay(exp, n, never))).toEqual([
      800, 1_000, 1_000, 1_000, 1_000,
    ]);
    expect(backoffDelay(DEFAULT_BACKOFF, 1_000_000, () => 1)).toBe(3_600_000);
  });

  test("an attempt below 1 or fractional counts as the first", () => {
    const exp = resolveBackoff({ type: "exponential", delayMs: 100, jitter: false });
    expect(backoffDelay(exp, 0, never)).toBe(100);
    expect(backoffDelay(exp, -3, never)).toBe(100);
    expect(backoffDelay(exp, 2.9, never)).toBe(200);
  });

  test("jitter draws from [d/2, d]: the ends of the range", () => {
    const exp: ResolvedBackoff = { type: "exponential", delayMs: 1_000, maxDelayMs: 10_000, jitter: true };
    expect(backoffDelay(exp, 1, () => 0)).toBe(500);
    expect(backoffDelay(exp, 1, () => 0.999_999)).toBe(1_000);
    expect(backoffDelay(exp, 3, () => 0)).toBe(2_000);
    expect(backoffDelay(exp, 3, () => 0.5)).toBe(3_000);
    // the cap applies before the jitter
    expect(backoffDelay(exp, 10, () => 0)).toBe(5_000);
    const fixed = resolveBackoff({ type: "fixed", delayMs: 300, jitter: true });
    expect(backoffDelay(fixed, 7, () => 0)).toBe(150);
  });

  test("jitter with Math.random stays within [d/2, d] and spreads", () => {
    const exp = resolveBackoff({ type: "exponential", delayMs: 1_000, jitter: true });
    const seen = new Set<number>();
    for (let i = 0; i < 2_000; i++) {
      const delay = backoffDelay(exp, 2);
      expect(delay).toBeGreaterThanOrEqual(1_000);
      expect(delay).toBeLessThanOrEqual(2_000);
      seen.add(delay);
    }
    expect(seen.size).toBeGreaterThan(100);
  });
});
