import { redisTimeMs } from "@tq/protocol";
import { uniquePrefix, uniqueQueue } from "@tq/testing";
import { describe, expect, inject, test } from "vitest";
import { Queue } from "../src/index.js";
import { Cleanup, rawClient, rejection, take } from "./helpers.js";

const cleanup = new Cleanup();
const url = (): string => inject("redisUrl");

/** `n` producers of one queue, each with a connection of its own (opened before the race starts). */
async function producers(n: number): Promise<Queue[]> {
  const name = uniqueQueue("dedupe");
  const prefix = uniquePrefix();
  const all = Array.from({ length: n }, () => cleanup.queue(new Queue(name, { connection: url(), prefix })));
  await Promise.all(all.map((q) => q.isPaused()));
  return all;
}

async function redisNow(): Promise<number> {
  const raw = await rawClient(url(), cleanup);
  return redisTimeMs((await raw.sendCommand(["TIME"])) as string[]);
}

describe("dedupe: throttle", () => {
  test("50 racing producers: one job is created, the 49 others are told they were its duplicates", async () => {
    const queues = await producers(50);
    const results = await Promise.all(
      queues.map((q, i) =>
        q.enqueue("reindex", [42, i], { dedupe: { key: "user-42", ttlMs: 60_000, mode: "throttle" } }),
      ),
    );
    const created = results.filter((r) => r.created);
    expect(created).toHaveLength(1);
    const first = created[0]?.id;
    expect(results.filter((r) => r.duplicate)).toHaveLength(49);
    for (const r of results) expect(r.id).toBe(first);
    const queue = queues[0] as Queue;
    expect((await queue.counts()).pending).toBe(1);
    // the first job of the window is the one kept: its args are the creator's
    const creator = results.findIndex((r) => r.created);
    expect((await queue.getJob(first as string))?.args).toEqual([42, creator]);
    // another key is another window
    expect((await queue.enqueue("reindex", [7], { dedupe: { key: "user-7", ttlMs: 60_000 } })).created).toBe(
      true,
    );
  });

  test("after the window a like job is created again; duplicates inside one enqueueMany are caught too", async () => {
    const [queue] = (await producers(1)) as [Queue];
    const dedupe = { key: "k", ttlMs: 150 };
    const [a, b] = await queue.enqueueMany([
      { task: "t", args: [1], opts: { dedupe } },
      { task: "t", args: [2], opts: { dedupe } },
    ]);
    expect(a).toMatchObject({ created: true, duplicate: false });
    expect(b).toMatchObject({ id: a?.id, created: false, duplicate: true });
    await new Promise((resolve) => setTimeout(resolve, 250));
    const c = await queue.enqueue("t", [3], { dedupe });
    expect(c).toMatchObject({ created: true, duplicate: false });
    expect(c.id).not.toBe(a?.id);
    expect((await queue.counts()).pending).toBe(2);
  });
});

describe("dedupe: debounce", () => {
  test("a burst from 50 producers becomes one job with the latest args, run ttlMs after the last enqueue", async () => {
    const queues = await producers(50);
    const queue = queues[0] as Queue;
    const dedupe = { key: "sync-7", ttlMs: 800, mode: "debounce" as const };
    const start = await redisNow();
    const results: Array<Awaited<ReturnType<Queue["enqueue"]>>> = [];
    // one after another, from every producer in turn: the last one sent is the latest
    for (const [i, q] of queues.entries()) results.push(await q.enqueue("sync", [i], { dedupe }));
    const last = await redisNow();
    expect(results.filter((r) => r.created)).toHaveLength(1);
    expect(results.filter((r) => r.duplicate)).toHaveLength(49);
    const id = results[0]?.id as string;
    for (const r of results) expect(r.id).toBe(id);
    const job = await queue.getJob(id);
    expect(job?.status).toBe("scheduled");
    expect(job?.args).toEqual([49]);
    expect(job?.runAt as number).toBeLessThanOrEqual(last + 800);
    expect(job?.runAt as number).toBeGreaterThan(start + 800);
    expect((await queue.counts()).scheduled).toBe(1);
  });

  test("maxDelayMs: a burst that never pauses still runs by then", async () => {
    const [queue] = (await producers(1)) as [Queue];
    const dedupe = { key: "busy", ttlMs: 300, mode: "debounce" as const, maxDelayMs: 500 };
    const first = await queue.enqueue("sync", [0], { dedupe });
    // scheduled ttlMs after the first enqueue
    const firstRunAt = (await queue.getJob(first.id))?.runAt as number;
    for (let i = 1; i <= 4; i++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      expect(await queue.enqueue("sync", [i], { dedupe })).toMatchObject({ id: first.id, duplicate: true });
    }
    // 4 × 100 ms + 300 ms would be 700 ms after the first enqueue: maxDelayMs holds it at 500
    const job = await queue.getJob(first.id);
    expect(job?.runAt).toBe(firstRunAt - 300 + 500);
    expect(job?.args).toEqual([4]);
  });

  test("once the waiting job has started, a like job starts a new window", async () => {
    const [queue] = (await producers(1)) as [Queue];
    const dedupe = { key: "once", ttlMs: 50, mode: "debounce" as const };
    const first = await queue.enqueue("sync", [1], { dedupe });
    await new Promise((resolve) => setTimeout(resolve, 80));
    const claimed = await take(queue, 1, [], 30_000);
    expect(claimed.claimed.map((c) => c.id)).toEqual([first.id]);
    const second = await queue.enqueue("sync", [2], { dedupe });
    expect(second).toMatchObject({ created: true, duplicate: false });
    expect(second.id).not.toBe(first.id);
  });
});

describe("dedupe: bad input", () => {
  test("a key with no ttl, a malformed key, an unknown mode: VALIDATION before anything reaches Redis", async () => {
    const [queue] = (await producers(1)) as [Queue];
    const cases: Array<[unknown, RegExp]> = [
      [{ key: "k" }, /dedupe\.ttlMs/],
      [{ key: "k", ttlMs: 0 }, /dedupe\.ttlMs/],
      [{ key: "k", ttlMs: 1.5 }, /dedupe\.ttlMs/],
      [{ key: "has space", ttlMs: 10 }, /dedupe\.key/],
      [{ key: "", ttlMs: 10 }, /dedupe\.key/],
      [{ key: "x".repeat(201), ttlMs: 10 }, /dedupe\.key/],
      [{ key: "k", ttlMs: 10, mode: "merge" }, /dedupe\.mode/],
      [{ key: "k", ttlMs: 10, maxDelayMs: 100 }, /debounce/],
      [{ key: "k", ttlMs: 100, mode: "debounce", maxDelayMs: 50 }, /maxDelayMs/],
      ["user-42", /dedupe must be/],
    ];
    for (const [dedupe, message] of cases) {
      const error = await rejection(queue.enqueue("t", [], { dedupe } as never));
      expect(error.code).toBe("VALIDATION");
      expect(error.message).toMatch(message);
    }
    const error = await rejection(
      queue.enqueue("t", [], { delayMs: 10, dedupe: { key: "k", ttlMs: 10, mode: "debounce" } }),
    );
    expect(error.code).toBe("VALIDATION");
    expect(await queue.counts()).toMatchObject({ pending: 0, scheduled: 0 });
  });
});
