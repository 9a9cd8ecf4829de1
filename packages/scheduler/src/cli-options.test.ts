import { describe, expect, test } from "vitest";
import { parseCli } from "./cli-options.js";

describe("parseCli", () => {
  test("reads flags and environment", () => {
    expect(
      parseCli(["--queues", "a, b,,c", "--prefix", "p", "--max-interval-ms", "250"], {
        REDIS_URL: "redis://h:1",
      }),
    ).toEqual({
      kind: "run",
      options: { connection: "redis://h:1", prefix: "p", queues: ["a", "b", "c"], maxIntervalMs: 250 },
    });
    expect(parseCli([], { TQ_PREFIX: "x" })).toEqual({ kind: "run", options: { prefix: "x" } });
    expect(parseCli(["-h"], {})).toEqual({ kind: "help" });
  });

  test("rejects unknown flags and bad values with VALIDATION", () => {
    expect(() => parseCli(["--nope"], {})).toThrow(expect.objectContaining({ code: "VALIDATION" }));
    expect(() => parseCli(["--queues", ","], {})).toThrow(/at least one/);
    expect(() => parseCli(["--max-interval-ms", "0"], {})).toThrow(/--max-interval-ms/);
  });
});
