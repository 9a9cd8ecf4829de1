import { sleep, uniqueQueue } from "@tq/testing";
import { describe, expect, inject, test } from "vitest";
import { Queue } from "../src/index.js";
import { Cleanup, claimAndFinish, errorJson, keysOf, rawClient, take } from "./helpers.js";

const connection = inject("redisUrl");
const cleanup = new Cleanup();

function newQueue(): Queue {
  return cleanup.queue(new Queue(uniqueQueue("insp"), { connection }));
}

describe("counts and list", () => {
  test("pending jobs are listed in the order they will run: high, normal, low, each FIFO", async () => {
    const queue = newQueue();
    const n1 = await queue.enqueue("t", ["n1"]);
    const l1 = await queue.enqueue("t", ["l1"], { priority: "low" });
    const h1 = await queue.enqueue("t", ["h1"], { priority: "high" });
    const n2 = await queue.enqueue("t", ["n2"]);
    const h2 = await queue.enqueue("t", ["h2"], { priority: "high" });
    const l2 = await queue.enqueue("t", ["l2"], { priority: "low" });
    const order = [h1, h2, n1, n2, l1, l2].map((j) => j.id);

    expect((await queue.list("pending")).map((j) => j.id)).toEqual(order);
    expect((await queue.list("pending", { offset: 1, limit: 3 })).map((j) => j.id)).toEqual(
      order.slice(1, 4),
    );
    expect((await queue.list("pending", { offset: 2, limit: 2 })).map((j) => j.id)).toEqual(
      order.slice(2, 4),
    );
    expect((await queue.list("pending", { offset: 3, limit: 10 })).map((j) => j.id)).toEqual(order.slice(3));
    expect((await queue.list("pending", { offset: 5, limit: 1 })).map((j) => j.id)).toEqual(order.slice(5));
    expect(await queue.list("pending", { offset: 6 })).toEqual([]);

    // and that is the order in which they are claimed
    const claimed: string[] = [];
    for (let i = 0; i < order.length; i++) claimed.push(...(await take(queue, 1)).claimed.map((c) => c.id));
    expect(claimed).toEqual(order);
  });

  test("scheduled jobs are listed soonest first", async () => {
    const queue = newQueue();
    const later = await queue.enqueue("t", [], { delayMs: 300_000 });
    const soon = await queue.enqueue("t", [], { delayMs: 100_000 });
    const middle = await queue.enqueue("t", [], { delayMs: 200_000 });
    expect((await queue.list("scheduled")).map((j) => j.id)).toEqual([soon.id, middle.id, later.id]);
    expect((await queue.list("scheduled", { offset: 1, limit: 1 })).map((j) => j.id)).toEqual([middle.id]);
  });

  test("completed and failed jobs are listed newest first", async () => {
    const queue = newQueue();
    const ids: string[] = [];
    for (let i = 0; i < 4; i++) ids.push((await queue.enqueue("t", [i])).id);
    for (const id of ids) {
      await claimAndFinish(queue, [id], () => ({ op: "f", payload: errorJson("boom"), delayMs: -1 }));
      await sleep(3); // distinct finish times
    }
    const failed = await queue.list("failed");
    expect(failed.map((j) => j.id)).toEqual([...ids].reverse());
    expect(failed.every((j) => j.status === "failed" && j.error?.message === "boom")).toBe(true);
    expect((await queue.list("failed", { offset: 1, limit: 2 })).map((j) => j.id)).toEqual([ids[2], ids[1]]);

    const done: string[] = [];
    for (let i = 0; i < 3; i++) {
      const { id } = await queue.enqueue("t", [i]);
      done.push(id);
      await claimAndFinish(queue, [id], () => ({ op: "c", payload: String(i) }));
      await sleep(3);
    }
    const completed = await queue.list("completed", { limit: 2 });
    expect(completed.map((j) => j.id)).toEqual([done[2], done[1]]);
    expect(completed.map((j) => j.result)).toEqual([2, 1]);
    expect(await queue.counts()).toEqual({ scheduled: 0, pending: 0, active: 0, completed: 3, failed: 4 });
  });

  test("active jobs are listed and counted", async () => {
    const queue = newQueue();
    const a = await queue.enqueue("t", []);
    await queue.enqueue("t", []);
    await take(queue, 1);
    expect((await queue.list("active")).map((j) => j.id)).toEqual([a.id]);
    expect(await queue.getJob(a.id)).toMatchObject({ status: "active", attempts: 1 });
    expect(await queue.counts()).toEqual({ scheduled: 0, pending: 1, active: 1, completed: 0, failed: 0 });
  });

  test("bad list arguments are refused with VALIDATION", async () => {
    const queue = newQueue();
    await expect(queue.list("pending", { offset: -1 })).rejects.toMatchObject({ code: "VALIDATION" });
    await expect(queue.list("pending", { limit: 0 })).rejects.toMatchObject({ code: "VALIDATION" });
    await expect(queue.list("nope" as never)).rejects.toMatchObject({ code: "VALIDATION" });
  });

  test("getJob of an unknown or invalid id is null", async () => {
    const queue = newQueue();
    expect(await queue.getJob("nope")).toBeNull();
    expect(await queue.getJob("has space")).toBeNull();
  });
});

describe("cancel", () => {
  test("removes a scheduled job", async () => {
    const queue = newQueue();
    const job = await queue.enqueue("t", [], { delayMs: 60_000 });
    expect(await queue.cancel(job.id)).toBe(true);
    expect(await queue.getJob(job.id)).toBeNull();
    expect(await queue.counts()).toMatchObject({ scheduled: 0 });
  });

  test("removes a pending job, which is then never claimed", async () => {
    const queue = newQueue();
    const a = await queue.enqueue("t", [], { priority: "low" });
    const b = await queue.enqueue("t", [], { priority: "low" });
    expect(await queue.cancel(a.id)).toBe(true);
    expect(await queue.getJob(a.id)).toBeNull();
    expect((await queue.list("pending")).map((j) => j.id)).toEqual([b.id]);
    expect((await take(queue, 10)).claimed.map((c) => c.id)).toEqual([b.id]);
  });

  test("fails an active job with CANCELLED and no retry; its late ack is refused", async () => {
    const queue = newQueue();
    const active = await queue.enqueue("t", [], { maxRetries: 5 });
    const [claim] = (await take(queue, 1)).claimed;
    expect(await queue.cancel(active.id)).toBe(true);
    const info = await queue.getJob(active.id);
    expect(info).toMatchObject({
      status: "failed",
      attempts: 1,
      error: { name: "TqError", code: "CANCELLED", message: "cancelled while running (attempt 1)" },
    });
    expect(info?.errors).toHaveLength(1);
    expect(await queue.counts()).toMatchObject({ active: 0, failed: 1, pending: 0, scheduled: 0 });
    const late = await take(queue, 0, [{ id: active.id, token: claim?.token ?? "", op: "c", payload: "1" }]);
    expect(late.outcomes).toBe("l");
    expect(await queue.getJob(active.id)).toEqual(info);
  });

  test("refuses a finished job with INVALID_STATE and leaves it alone", async () => {
    const queue = newQueue();
    const done = await queue.enqueue("t", []);
    await claimAndFinish(queue, [done.id], () => ({ op: "c", payload: "1" }));
    await expect(queue.cancel(done.id)).rejects.toMatchObject({
      code: "INVALID_STATE",
      message: expect.stringContaining("is completed"),
    });
    expect(await queue.getJob(done.id)).toMatchObject({ status: "completed" });

    const failed = await queue.enqueue("t", []);
    await claimAndFinish(queue, [failed.id], () => ({ op: "f", payload: errorJson("x"), delayMs: -1 }));
    await expect(queue.cancel(failed.id)).rejects.toMatchObject({ code: "INVALID_STATE" });
  });

  test("returns false for an unknown id", async () => {
    const queue = newQueue();
    expect(await queue.cancel("no-such-job")).toBe(false);
    expect(await queue.cancel("not a valid id")).toBe(false);
  });
});

describe("pause and resume", () => {
  test("a paused queue is not claimed from; enqueueing still works; resume lets it be claimed", async () => {
    const queue = newQueue();
    expect(await queue.isPaused()).toBe(false);
    await queue.pause();
    expect(await queue.isPaused()).toBe(true);
    const job = await queue.enqueue("t", []);
    expect((await take(queue, 5)).claimed).toEqual([]);
    expect(await queue.getJob(job.id)).toMatchObject({ status: "pending", attempts: 0 });
    await queue.resume();
    expect(await queue.isPaused()).toBe(false);
    expect((await take(queue, 5)).claimed.map((c) => c.id)).toEqual([job.id]);
  });

  test("a paused queue still records the outcome of runs already started", async () => {
    const queue = newQueue();
    const job = await queue.enqueue("t", []);
    const { claimed } = await take(queue, 1);
    await queue.pause();
    const { outcomes } = await take(queue, 0, [
      { id: job.id, token: claimed[0]!.token, op: "c", payload: "7" },
    ]);
    expect(outcomes).toBe("c");
    expect(await queue.getJob(job.id)).toMatchObject({ status: "completed", result: 7 });
  });
});

describe("retry", () => {
  test("puts a failed job back to pending with attempts reset and its errors kept", async () => {
    const queue = newQueue();
    const job = await queue.enqueue("t", [], { maxRetries: 0, priority: "high" });
    await claimAndFinish(queue, [job.id], () => ({ op: "f", payload: errorJson("first"), delayMs: -1 }));
    expect(await queue.getJob(job.id)).toMatchObject({ status: "failed", attempts: 1 });

    expect(await queue.retry(job.id)).toBe(true);
    const info = await queue.getJob(job.id);
    expect(info).toMatchObject({ status: "pending", attempts: 0, priority: "high" });
    expect(info?.finishedAt).toBeUndefined();
    expect(info?.errors?.map((e) => e.message)).toEqual(["first"]);
    expect(await queue.counts()).toMatchObject({ pending: 1, failed: 0 });

    const { claimed } = await take(queue, 1);
    expect(claimed[0]).toMatchObject({ id: job.id, attempt: 1 });
  });

  test("returns false for a job that is not failed", async () => {
    const queue = newQueue();
    const pending = await queue.enqueue("t", []);
    expect(await queue.retry(pending.id)).toBe(false);
    expect(await queue.retry("no-such-job")).toBe(false);
    expect(await queue.retry("bad id")).toBe(false);
    expect(await queue.getJob(pending.id)).toMatchObject({ status: "pending" });
    expect(await queue.counts()).toMatchObject({ pending: 1 });
  });

  test("retryAllFailed replays every failed job, more than one batch", async () => {
    const queue = newQueue();
    const jobs = [
      ...(await queue.enqueueMany(Array.from({ length: 1_000 }, (_, i) => ({ task: "t", args: [i] })))),
      ...(await queue.enqueueMany(Array.from({ length: 5 }, (_, i) => ({ task: "t", args: [1_000 + i] })))),
    ];
    const outcomes = await claimAndFinish(
      queue,
      jobs.map((j) => j.id),
      () => ({ op: "f", payload: errorJson("down"), delayMs: -1 }),
    );
    expect(outcomes).toBe("f".repeat(1_005));
    expect(await queue.counts()).toMatchObject({ failed: 1_005, pending: 0 });
    expect(await queue.retryAllFailed()).toBe(1_005);
    expect(await queue.counts()).toMatchObject({ failed: 0, pending: 1_005 });
    expect(await queue.retryAllFailed()).toBe(0);
  });
});

describe("a job key of another type (not written by tq)", () => {
  test("cancel removes it and its id instead of failing on every call", async () => {
    const queue = newQueue();
    const raw = await rawClient(connection, cleanup);
    const broken = await queue.enqueue("t", ["broken"]);
    const fine = await queue.enqueue("t", ["fine"]);
    await raw.del(keysOf(queue).job(broken.id));
    await raw.set(keysOf(queue).job(broken.id), "not a hash");
    expect(await queue.cancel(broken.id)).toBe(true);
    expect(await raw.exists(keysOf(queue).job(broken.id))).toBe(0);
    expect(await raw.lRange(keysOf(queue).pending.normal, 0, -1)).toEqual([fine.id]);
    expect(await queue.cancel(broken.id)).toBe(false);
    expect((await take(queue, 5)).claimed.map((c) => c.id)).toEqual([fine.id]);
  });

  test("retry and retryAllFailed drop it from the dead letter and replay the others", async () => {
    const queue = newQueue();
    const raw = await rawClient(connection, cleanup);
    const jobs = await queue.enqueueMany(
      [0, 1, 2].map((i) => ({ task: "t", args: [i], opts: { maxRetries: 0 } })),
    );
    const ids = jobs.map((j) => j.id);
    await claimAndFinish(queue, ids, () => ({ op: "f", payload: errorJson("down"), delayMs: -1 }));
    // the oldest failed job's key is replaced: retryAllFailed reads it first
    const [first, second, third] = ids as [string, string, string];
    await raw.del(keysOf(queue).job(first));
    await raw.rPush(keysOf(queue).job(first), "not a hash");
    await raw.del(keysOf(queue).job(third));
    await raw.sAdd(keysOf(queue).job(third), "not a hash");
    expect(await queue.retry(third)).toBe(false);
    expect(await raw.exists(keysOf(queue).job(third))).toBe(0);
    expect(await queue.retryAllFailed()).toBe(1);
    expect(await raw.exists(keysOf(queue).job(first))).toBe(0);
    expect(await queue.counts()).toMatchObject({ failed: 0, pending: 1 });
    expect(await queue.getJob(second)).toMatchObject({ status: "pending" });
  });
});
