import { describe, expect, test } from "vitest";
import { isTqError } from "./errors.js";
import { checkTimerMs, MAX_TIMER_MS } from "./timers.js";

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (error) {
    return isTqError(error) ? error.code : "not a TqError";
  }
  return undefined;
}

describe("checkTimerMs", () => {
  test("accepts values a Node.js timer can wait for", () => {
    expect(checkTimerMs(0, "x")).toBe(0);
    expect(checkTimerMs(MAX_TIMER_MS, "x")).toBe(MAX_TIMER_MS);
    expect(checkTimerMs(150, "x", { min: 100 })).toBe(150);
  });

  test("refuses values a timer would fire after 1 ms for, and non-numbers", () => {
    for (const bad of [MAX_TIMER_MS + 1, 30 * 24 * 3_600_000, 7e9, Number.NaN, -1, "5s", null, Infinity]) {
      expect(codeOf(() => checkTimerMs(bad, "timeoutMs"))).toBe("VALIDATION");
    }
    expect(codeOf(() => checkTimerMs(50, "leaseMs", { min: 100 }))).toBe("VALIDATION");
  });

  test("Infinity means no timer only where allowed", () => {
    expect(checkTimerMs(Infinity, "timeoutMs", { allowInfinity: true })).toBeUndefined();
    expect(codeOf(() => checkTimerMs(-Infinity, "timeoutMs", { allowInfinity: true }))).toBe("VALIDATION");
  });

  test("the message names the option and the limit", () => {
    expect(() => checkTimerMs(7e9, "leaseMs")).toThrow(/leaseMs must be .* 2147483647/);
  });
});
