import { isTqError } from "@tq/job-schema";
import { describe, expect, test } from "vitest";
import { firstTick, nextTick, planTick, type ResolvedTiming, resolveTiming, sameTicks } from "./timing.js";

function validationMessage(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    if (isTqError(error) && error.code === "VALIDATION") return error.message;
    throw error;
  }
  throw new Error("expected a VALIDATION error");
}

describe("resolveTiming", () => {
  test("fills in defaults", () => {
    expect(resolveTiming("s", { everyMs: 500 })).toEqual({
      everyMs: 500,
      missedTicks: "fire-once",
      missedAfterMs: 60_000,
    });
    expect(resolveTiming("s", { cron: " 0 3 * * * ", missedTicks: "skip", missedAfterMs: 5 })).toEqual({
      cron: "0 3 * * *",
      timezone: "UTC",
      missedTicks: "skip",
      missedAfterMs: 5,
    });
  });

  test("rejects bad timings with VALIDATION and a message that names the schedule and the problem", () => {
    expect(validationMessage(() => resolveTiming("s", { cron: "not a cron" }))).toMatch(
      /schedule "s": invalid cron expression "not a cron"/,
    );
    expect(validationMessage(() => resolveTiming("s", { cron: "61 * * * *" }))).toMatch(/minute/);
    expect(validationMessage(() => resolveTiming("s", { cron: "0 0 30 2 *" }))).toMatch(/never fires/);
    expect(
      validationMessage(() => resolveTiming("s", { cron: "* * * * *", timezone: "Mars/Olympus" })),
    ).toMatch(/unknown time zone "Mars\/Olympus"/);
    for (const everyMs of [0, -5, 1.5, Number.NaN, "100"]) {
      expect(validationMessage(() => resolveTiming("s", { everyMs }))).toMatch(/everyMs must be/);
    }
    expect(validationMessage(() => resolveTiming("s", { everyMs: 5, cron: "* * * * *" }))).toMatch(
      /exactly one/,
    );
    expect(validationMessage(() => resolveTiming("s", {}))).toMatch(/exactly one/);
    expect(validationMessage(() => resolveTiming("s", null))).toMatch(/timing must be/);
    expect(validationMessage(() => resolveTiming("s", { everyMs: 5, timezone: "UTC" }))).toMatch(
      /cron schedules only/,
    );
    expect(validationMessage(() => resolveTiming("s", { everyMs: 5, missedTicks: "later" }))).toMatch(
      /missedTicks/,
    );
    expect(validationMessage(() => resolveTiming("s", { everyMs: 5, missedAfterMs: -1 }))).toMatch(
      /missedAfterMs/,
    );
  });
});

describe("ticks", () => {
  const every: ResolvedTiming = { everyMs: 1_000, missedTicks: "fire-once", missedAfterMs: 60_000 };
  const cron: ResolvedTiming = {
    cron: "0 3 * * *",
    timezone: "Europe/Paris",
    missedTicks: "fire-once",
    missedAfterMs: 60_000,
  };

  test("interval ticks keep their phase", () => {
    expect(firstTick(every, 10_500)).toBe(11_500);
    expect(nextTick(every, 11_500, 11_500)).toBe(12_500);
    expect(nextTick(every, 11_500, 15_000)).toBe(15_500);
    expect(nextTick(every, 11_500, 15_500)).toBe(16_500);
  });

  test("cron ticks are read in the schedule's time zone", () => {
    const winter = Date.UTC(2026, 0, 10, 12, 0, 0);
    expect(new Date(firstTick(cron, winter) as number).toISOString()).toBe("2026-01-11T02:00:00.000Z");
    const summer = Date.UTC(2026, 6, 10, 12, 0, 0);
    expect(new Date(firstTick(cron, summer) as number).toISOString()).toBe("2026-07-11T01:00:00.000Z");
    const seconds = resolveTiming("s", { cron: "*/1 * * * * *" });
    expect(nextTick(seconds, 5_000, 5_000)).toBe(6_000);
    expect(nextTick(seconds, 5_000, 5_400)).toBe(6_000);
  });

  test("sameTicks ignores the missed-tick policy", () => {
    expect(sameTicks(every, { ...every, missedTicks: "skip" })).toBe(true);
    expect(sameTicks(every, { ...every, everyMs: 2_000 })).toBe(false);
    expect(sameTicks(cron, { ...cron, timezone: "UTC" })).toBe(false);
    expect(sameTicks(cron, every)).toBe(false);
  });

  test("an on-time tick fires and the schedule moves to the following one", () => {
    expect(planTick(every, 10_000, 10_003)).toEqual({ fire: true, missed: false, nextMs: 11_000 });
  });

  test("after an outage, fire-once fires the first missed tick once and skip fires nothing", () => {
    expect(planTick(every, 10_000, 13_400)).toEqual({ fire: true, missed: true, nextMs: 14_000 });
    expect(planTick({ ...every, missedTicks: "skip" }, 10_000, 13_400)).toEqual({
      fire: false,
      missed: true,
      nextMs: 14_000,
    });
  });

  test("a single tick later than missedAfterMs counts as missed", () => {
    const daily: ResolvedTiming = { everyMs: 86_400_000, missedTicks: "skip", missedAfterMs: 5_000 };
    expect(planTick(daily, 0, 4_000)).toEqual({ fire: true, missed: false, nextMs: 86_400_000 });
    expect(planTick(daily, 0, 6_000)).toEqual({ fire: false, missed: true, nextMs: 86_400_000 });
    expect(planTick({ ...daily, missedTicks: "fire-once" }, 0, 6_000)).toEqual({
      fire: true,
      missed: true,
      nextMs: 86_400_000,
    });
  });
});
