import { describe, expect, test } from "vitest";
import { resolveSchedulerOptions, SCHEDULER_DEFAULTS } from "./scheduler-options.js";

describe("resolveSchedulerOptions", () => {
  test("fills in every default and drops repeated queue names", () => {
    expect(resolveSchedulerOptions()).toEqual({
      connection: undefined,
      queues: undefined,
      ...SCHEDULER_DEFAULTS,
      logger: expect.objectContaining({ info: expect.any(Function), error: expect.any(Function) }),
    });
    expect(SCHEDULER_DEFAULTS).toMatchObject({ prefix: "tq", maxIntervalMs: 1_000, closeTimeoutMs: 5_000 });
    const resolved = resolveSchedulerOptions({ prefix: "p", queues: ["a", "b", "a"], sweepBatch: 7 });
    expect(resolved).toMatchObject({ prefix: "p", queues: ["a", "b"], sweepBatch: 7 });
  });

  test("refuses bad values with VALIDATION, naming the option", () => {
    const validation = expect.objectContaining({ code: "VALIDATION" });
    expect(() => resolveSchedulerOptions({ prefix: "{x}" })).toThrow(validation);
    expect(() => resolveSchedulerOptions({ prefix: "" })).toThrow(/prefix must be a non-empty string/);
    expect(() => resolveSchedulerOptions({ queues: "a" as unknown as string[] })).toThrow(
      /queues must be an array/,
    );
    expect(() => resolveSchedulerOptions({ queues: ["ok", "not ok"] })).toThrow(
      /Scheduler option queues: queue name/,
    );
    for (const name of [
      "maxIntervalMs",
      "sweepBatch",
      "housekeepingIntervalMs",
      "maxPayloadBytes",
    ] as const) {
      for (const value of [0, 1.5, Number.NaN]) {
        expect(() => resolveSchedulerOptions({ [name]: value })).toThrow(
          `${name} must be a positive integer`,
        );
      }
    }
  });
});
