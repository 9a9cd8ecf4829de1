import { describe, expect, test } from "vitest";
import { DEFAULT_BACKOFF } from "./backoff.js";
import { isTqError } from "./errors.js";
import {
  DEFAULT_MAX_RETRIES,
  isValidJobId,
  type JobOptions,
  resolveJobOptions,
  storedJobOptions,
} from "./options.js";

/** Resolves `opts` and returns the VALIDATION error's message; fails when something else happens. */
function rejection(opts: unknown): string {
  try {
    resolveJobOptions(opts as JobOptions);
  } catch (error) {
    if (!isTqError(error)) throw error;
    expect(error.code).toBe("VALIDATION");
    return error.message;
  }
  throw new Error(`expected VALIDATION for ${JSON.stringify(opts)}, nothing was thrown`);
}

describe("resolveJobOptions", () => {
  test("fills in the defaults", () => {
    const resolved = resolveJobOptions();
    expect(resolved).toEqual({
      priority: "normal",
      maxRetries: DEFAULT_MAX_RETRIES,
      backoff: DEFAULT_BACKOFF,
      delayMs: 0,
    });
    expect(DEFAULT_MAX_RETRIES).toBe(3);
  });

  test("keeps valid options", () => {
    const runAt = new Date(1_800_000_000_000);
    expect(
      resolveJobOptions({
        priority: "high",
        maxRetries: 0,
        runAt,
        timeoutMs: 1_500,
        jobId: "report-2026-06",
        backoff: { type: "fixed", delayMs: 250 },
      }),
    ).toEqual({
      priority: "high",
      maxRetries: 0,
      delayMs: 0,
      runAt: 1_800_000_000_000,
      timeoutMs: 1_500,
      jobId: "report-2026-06",
      backoff: { type: "fixed", delayMs: 250, maxDelayMs: Number.MAX_SAFE_INTEGER, jitter: false },
    });
    expect(resolveJobOptions({ delayMs: 10.2 }).delayMs).toBe(11);
    expect(resolveJobOptions({ runAt: 5 }).runAt).toBe(5);
  });

  test("refuses options that are not an object", () => {
    expect(rejection(null)).toContain("job options must be an object");
    expect(rejection("high")).toContain("job options must be an object");
  });

  test.each([
    [{ priority: "urgent" }, "priority"],
    [{ priority: 1 }, "priority"],
    [{ maxRetries: -1 }, "maxRetries"],
    [{ maxRetries: 1.5 }, "maxRetries"],
    [{ maxRetries: 1_001 }, "maxRetries"],
    [{ maxRetries: "3" }, "maxRetries"],
    [{ maxRetries: Number.NaN }, "maxRetries"],
    [{ delayMs: -1 }, "delayMs"],
    [{ delayMs: Number.NaN }, "delayMs"],
    [{ delayMs: Number.POSITIVE_INFINITY }, "delayMs"],
    [{ delayMs: "100" }, "delayMs"],
    [{ runAt: new Date("not a date") }, "runAt"],
    [{ runAt: -5 }, "runAt"],
    [{ runAt: "tomorrow" }, "runAt"],
    [{ delayMs: 10, runAt: Date.now() }, "delayMs or runAt"],
    [{ timeoutMs: 0 }, "timeoutMs"],
    [{ timeoutMs: -10 }, "timeoutMs"],
    [{ timeoutMs: Number.NaN }, "timeoutMs"],
    [{ jobId: "" }, "jobId"],
    [{ jobId: "has space" }, "jobId"],
    [{ jobId: "a{b}" }, "jobId"],
    [{ jobId: "x".repeat(201) }, "jobId"],
    [{ jobId: 42 }, "jobId"],
    [{ backoff: null }, "backoff"],
    [{ backoff: "fast" }, "backoff"],
    [{ backoff: { type: "linear", delayMs: 1 } }, "backoff.type"],
    [{ backoff: { type: "fixed" } }, "backoff.delayMs"],
    [{ backoff: { type: "fixed", delayMs: -1 } }, "backoff.delayMs"],
    [{ backoff: { type: "exponential", delayMs: Number.NaN } }, "backoff.delayMs"],
    [{ backoff: { type: "exponential", maxDelayMs: -1 } }, "backoff.maxDelayMs"],
    [{ backoff: { type: "exponential", jitter: "yes" } }, "backoff.jitter"],
    [{ backoff: { type: "fixed", delayMs: 10, jitter: 1 } }, "backoff.jitter"],
  ])("refuses %j with VALIDATION naming %s", (opts, name) => {
    expect(rejection(opts)).toContain(name);
  });
});

describe("isValidJobId", () => {
  test("takes 1-200 characters without whitespace or braces", () => {
    expect(isValidJobId("a")).toBe(true);
    expect(isValidJobId("report:2026-06/ü")).toBe(true);
    expect(isValidJobId("x".repeat(200))).toBe(true);
    for (const bad of ["", " ", "a b", "a\tb", "{a}", "x".repeat(201), 1, null, undefined]) {
      expect(isValidJobId(bad)).toBe(false);
    }
  });
});

describe("storedJobOptions", () => {
  test("stores only what differs from the worker's defaults", () => {
    expect(storedJobOptions(resolveJobOptions({ delayMs: 500, jobId: "x" }))).toEqual({
      priority: "normal",
      maxRetries: 3,
    });
    const custom = resolveJobOptions({
      priority: "low",
      maxRetries: 7,
      timeoutMs: 100,
      backoff: { type: "exponential", delayMs: 10, jitter: false },
    });
    expect(storedJobOptions(custom)).toEqual({
      priority: "low",
      maxRetries: 7,
      timeoutMs: 100,
      backoff: { type: "exponential", delayMs: 10, maxDelayMs: 3_600_000, jitter: false },
    });
  });
});

describe("names and ids with control characters", () => {
  test("job ids and task names with control characters are refused; printable ones pass", async () => {
    const { isValidJobId, isValidTaskName } = await import("./options.js");
    for (const bad of ["a\nb", "a\rb", "nul\u0000", "bell\u0007", "del\u007f", "esc\u001b[31m", ""]) {
      expect(isValidJobId(bad)).toBe(false);
      expect(isValidTaskName(bad)).toBe(false);
      expect(() => resolveJobOptions({ jobId: bad })).toThrow(/jobId must be/);
    }
    expect(isValidTaskName("send email (v2) ✉")).toBe(true);
    expect(isValidJobId("report-2026-06")).toBe(true);
  });

  test("a timeoutMs a timer cannot wait for is refused", () => {
    expect(() => resolveJobOptions({ timeoutMs: 30 * 24 * 3_600_000 })).toThrow(/timeoutMs/);
    expect(resolveJobOptions({ timeoutMs: 2_147_483_647 }).timeoutMs).toBe(2_147_483_647);
  });
});
