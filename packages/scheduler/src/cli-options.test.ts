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
      logFormat: "text",
    });
    expect(parseCli([], { TQ_PREFIX: "x" })).toEqual({
      kind: "run",
      options: { prefix: "x" },
      logFormat: "text",
    });
    expect(parseCli(["--log-format", "json"], { TQ_LOG_FORMAT: "text" })).toMatchObject({
      logFormat: "json",
    });
    expect(parseCli([], { TQ_LOG_FORMAT: "json" })).toMatchObject({ logFormat: "json" });
    expect(parseCli(["-h"], {})).toEqual({ kind: "help" });
  });

  test("rejects unknown flags and bad values with VALIDATION", () => {
    expect(() => parseCli(["--nope"], {})).toThrow(expect.objectContaining({ code: "VALIDATION" }));
    expect(() => parseCli(["--queues", ","], {})).toThrow(/at least one/);
    expect(() => parseCli(["--max-interval-ms", "0"], {})).toThrow(/--max-interval-ms/);
    expect(() => parseCli(["--log-format", "xml"], {})).toThrow(/--log-format must be text or json/);
  });
});
