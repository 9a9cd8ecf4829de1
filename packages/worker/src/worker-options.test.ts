import { describe, expect, test } from "vitest";
import { resolveWorkerOptions, WORKER_DEFAULTS } from "./worker-options.js";

describe("resolveWorkerOptions", () => {
  test("fills every option left out from the defaults table", () => {
    const resolved = resolveWorkerOptions("emails");
    expect(resolved).toMatchObject({ queue: "emails", ...WORKER_DEFAULTS });
    expect(resolved.maxResultBytes).toBe(WORKER_DEFAULTS.maxPayloadBytes);
    expect(resolved.logger).toEqual(
      expect.objectContaining({
        info: expect.any(Function),
        error: expect.any(Function),
        child: expect.any(Function),
      }),
    );
    expect(resolved.workerId).toMatch(/^[0-9a-f-]{36}$/);
  });

  test("resolving resolved options gives the same options (what a pool child receives)", () => {
    const resolved = resolveWorkerOptions("emails", {
      concurrency: 4,
      leaseMs: 1_000.4,
      maxPayloadBytes: 1_000,
    });
    expect(resolved).toMatchObject({ leaseMs: 1_000, maxResultBytes: 1_000 });
    expect(resolveWorkerOptions(resolved.queue, resolved)).toEqual(resolved);
  });

  test.each([
    ["queue name", "bad queue", {}],
    ["prefix", "q", { prefix: "a{b}" }],
    ["concurrency", "q", { concurrency: 0 }],
    ["maxResultBytes", "q", { maxResultBytes: 1.5 }],
    ["maxProgressBytes", "q", { maxProgressBytes: 0 }],
    ["workerId", "q", { workerId: "" }],
  ])("refuses a bad %s with VALIDATION naming it", (name, queue, options) => {
    expect(() => resolveWorkerOptions(queue, options)).toThrow(
      expect.objectContaining({ code: "VALIDATION", message: expect.stringContaining(name) }),
    );
  });
});
