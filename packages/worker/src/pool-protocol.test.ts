import { describe, expect, test } from "vitest";
import { describeForeignMessage, parseFromChild, parseToChild } from "./pool-protocol.js";

const key = "k-1";

describe("parseFromChild", () => {
  test("takes each pool message with the child's key, and nothing else from it", () => {
    expect(parseFromChild({ t: "ready", k: key, extra: 1 }, key)).toEqual({ t: "ready" });
    expect(parseFromChild({ t: "claimed", k: key, runs: ["a", "1", "b", "2"] }, key)).toEqual({
      t: "claimed",
      runs: ["a", "1", "b", "2"],
    });
    expect(parseFromChild({ t: "ended", k: key, runs: [] }, key)).toEqual({ t: "ended", runs: [] });
    const active = { t: "active", id: "a", token: "1", task: "s", timeoutMs: 100, retryDelayMs: 0 };
    expect(parseFromChild({ ...active, k: key }, key)).toEqual(active);
    expect(parseFromChild({ t: "fatal", k: key, code: "VALIDATION", message: "m" }, key)).toEqual({
      t: "fatal",
      code: "VALIDATION",
      message: "m",
    });
    expect(parseFromChild({ t: "alive", consuming: true, k: key }, key)).toEqual({
      t: "alive",
      consuming: true,
    });
    expect(parseFromChild({ t: "alive", k: key }, key)).toBeUndefined();
    expect(parseFromChild({ t: "alive", consuming: "yes", k: key }, key)).toBeUndefined();
    const metric = { name: "tq_job_run_seconds", type: "histogram", help: "h", values: [] };
    expect(parseFromChild({ t: "metrics", n: 1, metrics: [metric], k: key }, key)).toEqual({
      t: "metrics",
      n: 1,
      metrics: [metric],
    });
    expect(parseFromChild({ t: "metrics", n: 1, metrics: [{ name: 1 }], k: key }, key)).toBeUndefined();
    expect(parseFromChild({ t: "metrics", n: 1, metrics: {}, k: key }, key)).toBeUndefined();
    expect(parseFromChild({ t: "closed", k: key }, key)).toEqual({ t: "closed" });
  });

  test.each([
    ["no key", { t: "closed" }],
    ["another key", { t: "closed", k: "k-2" }],
    ["ended without runs", { t: "ended", k: key }],
    ["runs not an array", { t: "claimed", k: key, runs: 5 }],
    ["an odd run list", { t: "claimed", k: key, runs: ["a"] }],
    ["runs that are not strings", { t: "ended", k: key, runs: [1, 2] }],
    ["an empty id", { t: "ended", k: key, runs: ["", "1"] }],
    ["active without fields", { t: "active", k: key }],
    [
      "a timeout that is not a number",
      { t: "active", k: key, id: "a", token: "1", task: "s", timeoutMs: "1", retryDelayMs: 0 },
    ],
    [
      "a NaN timeout",
      { t: "active", k: key, id: "a", token: "1", task: "s", timeoutMs: Number.NaN, retryDelayMs: 0 },
    ],
    ["fatal without a message", { t: "fatal", k: key, code: "X" }],
    ["an unknown kind", { t: "bogus", k: key }],
    ["t not a string", { t: {}, k: key }],
    ["a string", "ended"],
    ["null", null],
    ["a number", 42],
    ["an array", [{ t: "ended", k: key }]],
  ])("refuses %s", (_what, value) => {
    expect(parseFromChild(value, key)).toBeUndefined();
  });

  test("reads a fatal code that is not a tq error code as HANDLER", () => {
    expect(parseFromChild({ t: "fatal", k: key, code: "EPERM", message: "m" }, key)).toEqual({
      t: "fatal",
      code: "HANDLER",
      message: "m",
    });
  });

  test("cuts a long fatal message", () => {
    const message = parseFromChild({ t: "fatal", k: key, code: "X", message: "m".repeat(100_000) }, key);
    expect(message?.t === "fatal" && message.message.length).toBe(4_000);
  });
});

describe("parseToChild", () => {
  const config = {
    worker: {
      queue: "q",
      connection: "redis://127.0.0.1:6379",
      prefix: "tq",
      concurrency: 1,
      leaseMs: 30_000,
      shutdownTimeoutMs: 30_000,
      maxPayloadBytes: 524_288,
      maxResultBytes: 524_288,
      maxProgressBytes: 65_536,
      maxBlockMs: 5_000,
      workerId: "w-1",
      retention: undefined,
    },
    moduleUrl: "file:///tasks.js",
    supervisorPid: 1,
    metrics: false,
  };

  test("takes start (with a key) and close; refuses anything else", () => {
    expect(parseToChild({ t: "close", timeoutMs: 10 })).toEqual({ t: "close", timeoutMs: 10 });
    expect(parseToChild({ t: "start", config, key })).toEqual({ t: "start", config, key });
    expect(parseToChild({ t: "start", config })).toBeUndefined();
    expect(parseToChild({ t: "close" })).toBeUndefined();
    expect(parseToChild({ t: "close", timeoutMs: Number.NaN })).toBeUndefined();
    expect(parseToChild(null)).toBeUndefined();
    expect(parseToChild({ t: "metrics", n: 3 })).toEqual({ t: "metrics", n: 3 });
    expect(parseToChild({ t: "metrics", n: "3" })).toBeUndefined();
    expect(parseToChild({ t: "start", config: { ...config, metrics: "yes" }, key })).toBeUndefined();
    expect(parseToChild({ t: "start", config: { ...config, metrics: true }, key })).toEqual({
      t: "start",
      config: { ...config, metrics: true },
      key,
    });
  });

  test("refuses a start whose config lacks a field or has one of the wrong type, and drops unknown fields", () => {
    const { leaseMs: _, ...withoutLease } = config.worker;
    expect(parseToChild({ t: "start", config: {}, key })).toBeUndefined();
    expect(parseToChild({ t: "start", config: { ...config, worker: withoutLease }, key })).toBeUndefined();
    expect(
      parseToChild({
        t: "start",
        config: { ...config, worker: { ...config.worker, concurrency: "2" } },
        key,
      }),
    ).toBeUndefined();
    expect(parseToChild({ t: "start", config: { ...config, supervisorPid: "1" }, key })).toBeUndefined();
    const extra = parseToChild({
      t: "start",
      config: { ...config, worker: { ...config.worker, x: 1 } },
      key,
    });
    expect(extra).toEqual({ t: "start", config, key });
  });
});

describe("describeForeignMessage", () => {
  test("says what a value is without its content", () => {
    expect(describeForeignMessage("x".repeat(1_000_000))).toBe("a string (1000000 characters)");
    expect(describeForeignMessage({ t: "ended" })).toBe("an object with t ended and keys t");
    expect(describeForeignMessage(null)).toBe("null");
    expect(describeForeignMessage([1, 2])).toBe("an array of 2");
  });
});
