import { PRIORITIES } from "@tq/job-schema";
import { describe, expect, test } from "vitest";
import {
  checkQueueName,
  DEFAULT_PREFIX,
  isValidQueueName,
  queueKeys,
  queuesKey,
  scheduleKeys,
  schedulesKey,
} from "./keys.js";

/** The hash tag Redis Cluster hashes a key by: the text between the first `{` and the next `}`. */
function hashTag(key: string): string | null {
  const open = key.indexOf("{");
  if (open < 0) return null;
  const close = key.indexOf("}", open + 1);
  if (close <= open + 1) return null;
  return key.slice(open + 1, close);
}

function allKeys(queue: string, prefix?: string): string[] {
  const k = queueKeys(queue, prefix);
  return [
    k.job("4f8a-id"),
    k.job("report-2026-06"),
    ...PRIORITIES.map((p) => k.pending[p]),
    k.scheduled,
    k.active,
    k.completed,
    k.failed,
    k.marker,
    k.events,
    k.meta,
    k.fired,
    k.claims("worker-1"),
    k.workers,
    k.worker("worker-1"),
  ];
}

describe("queueKeys", () => {
  test("every key of a queue shares one {hash tag}: the queue name", () => {
    for (const [queue, prefix] of [
      ["emails", undefined],
      ["reports.monthly:v2", "app"],
      ["a", "x:y"],
    ] as const) {
      const keys = allKeys(queue, prefix);
      expect(new Set(keys).size).toBe(keys.length);
      for (const key of keys) {
        expect(hashTag(key)).toBe(queue);
        expect(key.startsWith(`${prefix ?? DEFAULT_PREFIX}:{${queue}}:`)).toBe(true);
      }
    }
  });

  test("lays keys out as documented", () => {
    const k = queueKeys("emails");
    expect(k.base).toBe("tq:{emails}:");
    expect(k.job("42")).toBe("tq:{emails}:job:42");
    expect(k.pending).toEqual({
      high: "tq:{emails}:pending:high",
      normal: "tq:{emails}:pending:normal",
      low: "tq:{emails}:pending:low",
    });
    expect(k.events).toBe("tq:{emails}:events");
    expect(queuesKey()).toBe("tq:queues");
    expect(queuesKey("app")).toBe("app:queues");
    expect(schedulesKey("app")).toBe("app:schedules");
    expect(k.fired).toBe("tq:{emails}:fired");
    expect(k.claims("w-1")).toBe("tq:{emails}:claims:w-1");
    expect(k.workers).toBe("tq:{emails}:workers");
    expect(k.worker("w-1")).toBe("tq:{emails}:worker:w-1");
  });

  test("both schedule keys share one hash slot, outside every queue's", () => {
    const s = scheduleKeys("app");
    expect(s).toEqual({ defs: "app:schedules", next: "{app:schedules}:next" });
    expect(hashTag(s.next)).toBe(s.defs);
    expect(hashTag(s.defs)).toBeNull();
  });

  test("different queues land on different hash tags", () => {
    expect(hashTag(queueKeys("a").meta)).not.toBe(hashTag(queueKeys("b").meta));
  });

  test("PRIORITIES run highest first", () => {
    expect(PRIORITIES).toEqual(["high", "normal", "low"]);
  });
});

describe("isValidQueueName", () => {
  test("allows letters, digits and _ . : - up to 200 characters, never braces", () => {
    for (const good of ["emails", "a", "reports.monthly:v2", "A_b-9", "x".repeat(200)]) {
      expect(isValidQueueName(good)).toBe(true);
    }
    for (const bad of ["", "{emails}", "a}b", "has space", "ü", "x".repeat(201), 5, null]) {
      expect(isValidQueueName(bad)).toBe(false);
    }
  });
});

describe("prefix validation", () => {
  test("a prefix that could reach another queue's hash slot or forge a log line is refused", async () => {
    const { checkPrefix, isValidPrefix } = await import("./keys.js");
    for (const bad of [
      "",
      "{emails}",
      "tq:{other",
      "x}",
      "a b",
      "line\nbreak",
      "nul\u0000",
      "x".repeat(101),
      7,
    ]) {
      expect(isValidPrefix(bad)).toBe(false);
      expect(() => queueKeys("emails", bad as string)).toThrow(/prefix must be/);
      expect(() => queuesKey(bad as string)).toThrow(/prefix must be/);
      expect(() => schedulesKey(bad as string)).toThrow(/prefix must be/);
    }
    expect(checkPrefix()).toBe(DEFAULT_PREFIX);
    expect(checkPrefix("app:v2")).toBe("app:v2");
  });

  test("queueKeys refuses a queue name that is not valid", () => {
    expect(() => queueKeys("a}b")).toThrow(/queue name/);
    expect(() => queueKeys("")).toThrow(/queue name/);
  });

  test("checkQueueName returns a valid name and says who was given a bad one", () => {
    expect(checkQueueName("emails")).toBe("emails");
    expect(() => checkQueueName("a b", 'schedule "nightly"')).toThrow(
      /^schedule "nightly": queue name must be 1-200 characters of letters, digits and _ \. : - \(got "a b"\)$/,
    );
    expect(() => checkQueueName(7)).toThrow(/^queue name must be .*\(got 7\)$/);
  });
});
