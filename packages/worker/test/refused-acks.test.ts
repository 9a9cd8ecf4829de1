import { Queue } from "@tq/client";
import { isTqError } from "@tq/job-schema";
import { onCluster, type RedisServer, startRedis, uniqueQueue } from "@tq/testing";
import { createClient } from "redis";
import { afterAll, beforeAll, describe, expect, inject, test } from "vitest";
import { Worker } from "../src/index.js";
import { type Deferred, deferred, Harness, keysOf, quietLogger } from "./helpers.js";

const h = new Harness(inject("redisUrl"));

/** Handlers whose runs start, then wait for `release`, so that their acks go out together in one call. */
function heldRuns() {
  const started = new Map<string, Deferred<void>>();
  const release = deferred();
  const startedFor = (key: string) => {
    let d = started.get(key);
    if (!d) {
      d = deferred();
      started.set(key, d);
    }
    return d;
  };
  return {
    started: (key: string) => startedFor(key).promise,
    release: () => release.resolve(),
    handlers: {
      hold: async ([key, size]: [string, number]) => {
        startedFor(key).resolve();
        await release.promise;
        return size > 0 ? "x".repeat(size) : key;
      },
    },
  };
}

const codes = (errors: Error[]) => errors.map((e) => (isTqError(e) ? e.code : e.message));

describe("an ack Redis refuses never stalls the worker", () => {
  test("a job key replaced by a string while active: that job is dead-lettered, the other completes", async () => {
    const queue = h.queue();
    const raw = await h.raw();
    const runs = heldRuns();
    const worker = h.worker(queue.name, runs.handlers, { concurrency: 2, leaseMs: 600_000 });
    await worker.start();
    const broken = await queue.enqueue("hold", ["broken", 0]);
    const fine = await queue.enqueue("hold", ["fine", 0]);
    await Promise.all([runs.started("broken"), runs.started("fine")]);
    await raw.del(keysOf(queue).job(broken.id));
    await raw.set(keysOf(queue).job(broken.id), "not a job record");
    runs.release();

    expect(await queue.waitForResult(fine.id, { timeoutMs: 20_000 })).toBe("fine");
    await expect(queue.waitForResult(broken.id, { timeoutMs: 20_000 })).rejects.toMatchObject({
      code: "JOB_FAILED",
    });
    const info = await queue.getJob(broken.id);
    expect(info?.status).toBe("failed");
    expect(info?.error?.code).toBe("DECODE");
    expect(info?.error?.message).toContain("held a string");
    expect(await queue.counts()).toEqual({ scheduled: 0, pending: 0, active: 0, completed: 1, failed: 1 });
    // and it keeps claiming
    const later = await queue.enqueue("hold", ["later", 0]);
    expect(await queue.waitForResult(later.id, { timeoutMs: 20_000 })).toBe("later");
    expect(codes(worker.errors)).not.toContain("REDIS");
  });

  // a standalone server of its own (CONFIG SET proto-max-bulk-len): nothing of it depends on the project's topology
  describe.skipIf(onCluster())("a result over Redis's proto-max-bulk-len", () => {
    let server: RedisServer;
    beforeAll(async () => {
      // a Redis of its own: the lowered limit must not reach other test files
      server = await startRedis();
      const admin = createClient({ url: server.url });
      await admin.connect();
      await admin.configSet("proto-max-bulk-len", String(1024 * 1024));
      await admin.close();
    });
    afterAll(async () => {
      await server?.stop();
    });

    test("fails that job with a clear reason; the other job completes and the worker keeps claiming", async () => {
      const name = uniqueQueue("bulk");
      const queue = new Queue(name, { connection: server.url });
      const runs = heldRuns();
      const worker = new Worker(name, runs.handlers, {
        connection: server.url,
        logger: quietLogger(),
        concurrency: 2,
        leaseMs: 600_000,
        // over Redis's limit on purpose: only Redis refuses it
        maxResultBytes: 8 * 1024 * 1024,
      });
      const errors: Error[] = [];
      worker.on("error", (error) => errors.push(error));
      const failed: Error[] = [];
      worker.on("failed", (_job, error) => failed.push(error));
      try {
        await worker.start();
        const big = await queue.enqueue("hold", ["big", 2 * 1024 * 1024], { maxRetries: 3 });
        const small = await queue.enqueue("hold", ["small", 0]);
        await Promise.all([runs.started("big"), runs.started("small")]);
        runs.release();

        expect(await queue.waitForResult(small.id, { timeoutMs: 20_000 })).toBe("small");
        await expect(queue.waitForResult(big.id, { timeoutMs: 20_000 })).rejects.toMatchObject({
          code: "JOB_FAILED",
        });
        const info = await queue.getJob(big.id);
        // failed at once, without the retries it had left
        expect(info).toMatchObject({ status: "failed", attempts: 1 });
        expect(info?.error?.code).toBe("PAYLOAD_TOO_LARGE");
        expect(info?.error?.message).toContain("Redis refused to record the result");
        expect(failed.map((e) => (isTqError(e) ? e.code : e.message))).toEqual(["PAYLOAD_TOO_LARGE"]);
        expect(await queue.counts()).toEqual({
          scheduled: 0,
          pending: 0,
          active: 0,
          completed: 1,
          failed: 1,
        });
        const later = await queue.enqueue("hold", ["later", 0]);
        expect(await queue.waitForResult(later.id, { timeoutMs: 20_000 })).toBe("later");
        expect(worker.isRunning).toBe(true);
        expect(errors.length).toBeGreaterThan(0);
      } finally {
        await worker.close({ timeoutMs: 0 });
        await queue.close();
      }
    });
  });
});
