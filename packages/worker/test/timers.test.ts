import { describe, expect, inject, test } from "vitest";
import { Worker } from "../src/index.js";
import { Harness, keysOf } from "./helpers.js";

const h = new Harness(inject("redisUrl"));

describe("timer values", () => {
  test.each([
    ["leaseMs", { leaseMs: 7e9 }],
    ["leaseMs", { leaseMs: Number.POSITIVE_INFINITY }],
    ["shutdownTimeoutMs", { shutdownTimeoutMs: 3e9 }],
    ["shutdownTimeoutMs", { shutdownTimeoutMs: -1 }],
    ["maxBlockMs", { maxBlockMs: 2 ** 31 }],
    ["maxBlockMs", { maxBlockMs: Number.NaN }],
  ])("%s beyond what a timer can wait is refused (%o)", (name, options) => {
    expect(() => new Worker("q", {}, options)).toThrow(
      expect.objectContaining({ code: "VALIDATION", message: expect.stringContaining(name) }),
    );
  });

  test("a stored timeoutMs beyond 2^31-1 ms (an old or foreign producer) means no timeout, not one of 1 ms", async () => {
    const queue = h.queue();
    const raw = await h.raw();
    const job = await queue.enqueue("slow", [], { timeoutMs: 1_000, maxRetries: 0 });
    const key = keysOf(queue).job(job.id);
    const opts = JSON.parse(String(await raw.hGet(key, "opts"))) as Record<string, unknown>;
    await raw.hSet(key, "opts", JSON.stringify({ ...opts, timeoutMs: 30 * 24 * 3_600_000 }));
    const worker = h.worker(queue.name, {
      slow: async (_args, ctx) => {
        await new Promise((resolve) => setTimeout(resolve, 200));
        return ctx.signal.aborted ? "aborted" : "done";
      },
    });
    await worker.start();
    expect(await queue.waitForResult(job.id, { timeoutMs: 20_000 })).toBe("done");
  });

  test("a worker id that could not be part of a key is refused", () => {
    expect(() => new Worker("q", {}, { workerId: "a b" })).toThrow(
      expect.objectContaining({ code: "VALIDATION" }),
    );
    expect(() => new Worker("q", {}, { workerId: "{other}" })).toThrow(
      expect.objectContaining({ code: "VALIDATION" }),
    );
    expect(new Worker("q", {}, { workerId: "host-1.worker-7" }).workerId).toBe("host-1.worker-7");
    expect(new Worker("q", {}).workerId).not.toBe(new Worker("q", {}).workerId);
  });
});
