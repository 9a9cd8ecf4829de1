import { RedisConnection } from "@tq/connection";
import { purge, THROUGHPUT_WINDOW_MINUTES } from "@tq/protocol";
import { uniqueQueue } from "@tq/testing";
import { describe, expect, inject, test } from "vitest";
import { Queue } from "../src/index.js";
import {
  Cleanup,
  claimAndFinish,
  errorJson,
  keysOf,
  rawClient,
  redisNow,
  TEST_WORKER_ID,
  take,
} from "./helpers.js";

const cleanup = new Cleanup();
const url = (): string => inject("redisUrl");

describe("queue.stats()", () => {
  test("counts, paused, oldest pending age, live workers and per-minute completed/failed", async () => {
    const queue = cleanup.queue(new Queue(uniqueQueue("stats"), { connection: url() }));
    const raw = await rawClient(url(), cleanup);
    const jobs = await queue.enqueueMany(
      Array.from({ length: 6 }, (_, i) => ({ task: "t", args: [i], opts: { maxRetries: 0 } })),
    );
    const ids = jobs.map((j) => j.id);
    await claimAndFinish(queue, ids.slice(0, 3), () => ({ op: "c", payload: "1" }));
    await claimAndFinish(queue, ids.slice(3, 5), () => ({ op: "f", payload: errorJson("no") }));
    const now = await redisNow(raw);
    // a registry entry that is live and one that has run out
    await raw.zAdd(keysOf(queue).workers, [
      { score: now + 60_000, value: "alive" },
      { score: now - 1, value: "gone" },
    ]);
    await queue.pause();

    const stats = await queue.stats();
    expect(stats.counts).toEqual({ scheduled: 0, pending: 1, active: 0, completed: 3, failed: 2 });
    expect(stats.paused).toBe(true);
    expect(stats.workers).toBe(1);
    const job = await queue.getJob(ids[5] as string);
    expect(stats.oldestPendingAgeMs).toBeGreaterThanOrEqual(0);
    expect(stats.oldestPendingAgeMs).toBeLessThanOrEqual((await redisNow(raw)) - (job?.createdAt ?? 0) + 1);
    expect(stats.completedPerMinute).toHaveLength(THROUGHPUT_WINDOW_MINUTES);
    expect(stats.failedPerMinute).toHaveLength(THROUGHPUT_WINDOW_MINUTES);
    // the counts land in the current minute, or the one before when a minute ended in between
    expect(stats.completedPerMinute.slice(-2).reduce((a, b) => a + b)).toBe(3);
    expect(stats.completedPerMinute.reduce((a, b) => a + b)).toBe(3);
    expect(stats.failedPerMinute.reduce((a, b) => a + b)).toBe(2);
    expect(stats.totals).toEqual({ enqueued: 6, completed: 3, failed: 2, retried: 0, stalled: 0 });
  });

  test("totals count every step since the queue was created and never go down", async () => {
    const queue = cleanup.queue(new Queue(uniqueQueue("stats"), { connection: url() }));
    const [a, b] = await queue.enqueueMany([
      { task: "t", args: [], opts: { maxRetries: 1 } },
      { task: "t", args: [], opts: { maxRetries: 0 } },
    ]);
    // a: fails once and is retried, then completes; b: dead-lettered, replayed, then completes
    await claimAndFinish(queue, [a?.id ?? "", b?.id ?? ""], () => ({
      op: "f",
      payload: errorJson("no"),
      delayMs: 0,
    }));
    expect(await queue.retryAllFailed()).toBe(1);
    await claimAndFinish(queue, [a?.id ?? "", b?.id ?? ""], () => ({ op: "c", payload: "1" }));
    const before = (await queue.stats()).totals;
    expect(before).toEqual({ enqueued: 3, completed: 2, failed: 1, retried: 1, stalled: 0 });
    // purging removes jobs, not what was counted
    const side = await RedisConnection.open(url(), { onError: () => {} });
    expect(await purge(side, keysOf(queue), { status: "completed" })).toEqual({ removed: 2, remaining: 0 });
    await side.close();
    expect((await queue.stats()).totals).toEqual(before);
  });

  test("an empty queue: zeros, and no pending age", async () => {
    const queue = cleanup.queue(new Queue(uniqueQueue("stats"), { connection: url() }));
    const stats = await queue.stats();
    expect(stats).toEqual({
      counts: { scheduled: 0, pending: 0, active: 0, completed: 0, failed: 0 },
      paused: false,
      oldestPendingAgeMs: 0,
      workers: 0,
      completedPerMinute: Array(THROUGHPUT_WINDOW_MINUTES).fill(0),
      failedPerMinute: Array(THROUGHPUT_WINDOW_MINUTES).fill(0),
      totals: { enqueued: 0, completed: 0, failed: 0, retried: 0, stalled: 0 },
      limits: {
        rateLimit: null,
        concurrency: null,
        heldUntil: null,
        groupConcurrency: null,
        groupRateLimit: null,
      },
    });
  });
});

describe("JobInfo operations fields", () => {
  test("workerId, stalls and waitedMs of the latest run", async () => {
    const queue = cleanup.queue(new Queue(uniqueQueue("info"), { connection: url() }));
    const { id } = await queue.enqueue("t", [], { maxRetries: 3 });
    expect(await queue.getJob(id)).toMatchObject({ stalls: 0 });
    expect((await queue.getJob(id))?.workerId).toBeUndefined();
    expect((await queue.getJob(id))?.waitedMs).toBeUndefined();
    await take(queue, 1, [], 1);
    await new Promise((resolve) => setTimeout(resolve, 10));
    await take(queue, 0); // reclaims the expired lease: a stall
    const [run] = (await take(queue, 1)).claimed;
    const info = await queue.getJob(id);
    expect(info).toMatchObject({ workerId: TEST_WORKER_ID, stalls: 1, attempts: 2 });
    expect(info?.waitedMs).toBeGreaterThanOrEqual(0);
    expect(run?.attempt).toBe(2);
  });
});
