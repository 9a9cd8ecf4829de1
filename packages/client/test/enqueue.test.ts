import { uniquePrefix, uniqueQueue } from "@tq/testing";
import { describe, expect, inject, test } from "vitest";
import { z } from "zod";
import { defineTask, ENQUEUE_MANY_MAX_BYTES, ENQUEUE_MANY_MAX_JOBS, Queue } from "../src/index.js";
import { Cleanup, connected, keysOf, rawClient, redisNow, rejection, scanKeys, take } from "./helpers.js";

const connection = inject("redisUrl");
const cleanup = new Cleanup();

function newQueue(options: { prefix?: string; maxPayloadBytes?: number; maxPending?: number } = {}): Queue {
  return cleanup.queue(new Queue(uniqueQueue("enq"), { connection, ...options }));
}

const sendEmail = defineTask({
  name: "send_email",
  args: z.tuple([z.string().email(), z.string()]),
  defaults: { priority: "high", maxRetries: 5 },
});

describe("enqueue", () => {
  test("returns a unique id per job and stores the job pending", async () => {
    const queue = newQueue();
    const jobs = await Promise.all([
      queue.enqueue("send_email", ["user@example.com", "Welcome!"]),
      queue.enqueue("resize_image", ["/uploads/photo.jpg", 800, 600]),
      queue.enqueue("generate_report", ["monthly", "2026-06"]),
    ]);
    expect(new Set(jobs.map((j) => j.id)).size).toBe(3);
    for (const job of jobs) {
      expect(job.id).toMatch(/^[0-9a-f-]{36}$/);
      expect(job.queue).toBe(queue.name);
      expect(job.created).toBe(true);
    }
    expect(jobs.map((j) => j.task)).toEqual(["send_email", "resize_image", "generate_report"]);
    const info = await queue.getJob(jobs[1]!.id);
    expect(info).toMatchObject({
      id: jobs[1]!.id,
      queue: queue.name,
      task: "resize_image",
      args: ["/uploads/photo.jpg", 800, 600],
      status: "pending",
      priority: "normal",
      attempts: 0,
      maxRetries: 3,
    });
    expect(await queue.counts()).toEqual({ scheduled: 0, pending: 3, active: 0, completed: 0, failed: 0 });
  });

  test("args default to an empty array and may be any JSON value", async () => {
    const queue = newQueue();
    const a = await queue.enqueue("noop");
    const b = await queue.enqueue("obj", { nested: { list: [1, null, "x"] } });
    expect((await queue.getJob(a.id))?.args).toEqual([]);
    expect((await queue.getJob(b.id))?.args).toEqual({ nested: { list: [1, null, "x"] } });
  });

  test("an existing jobId returns that job and creates nothing", async () => {
    const queue = newQueue();
    const first = await queue.enqueue("generate_report", ["monthly", "2026-06"], { jobId: "report-2026-06" });
    const again = await queue.enqueue("generate_report", ["other", "args"], {
      jobId: "report-2026-06",
      priority: "high",
    });
    expect(first).toMatchObject({ id: "report-2026-06", created: true });
    expect(again).toMatchObject({ id: "report-2026-06", created: false });
    const info = await queue.getJob("report-2026-06");
    expect(info?.args).toEqual(["monthly", "2026-06"]);
    expect(info?.priority).toBe("normal");
    expect(await queue.counts()).toMatchObject({ pending: 1 });
  });

  test("50 producers enqueueing the same jobId at once create exactly one job", async () => {
    const name = uniqueQueue("idem");
    const producers = Array.from({ length: 50 }, () => cleanup.queue(new Queue(name, { connection })));
    await Promise.all(producers.map((p) => connected(p)));
    const results = await Promise.all(
      producers.map((p, i) =>
        p.enqueue("send_email", [`user${i}@example.com`, "Hi"], { jobId: "welcome-1" }),
      ),
    );
    expect(results.filter((r) => r.created)).toHaveLength(1);
    expect(new Set(results.map((r) => r.id))).toEqual(new Set(["welcome-1"]));
    const queue = producers[0]!;
    expect(await queue.counts()).toEqual({ scheduled: 0, pending: 1, active: 0, completed: 0, failed: 0 });
    expect((await queue.list("pending")).map((j) => j.id)).toEqual(["welcome-1"]);
  });

  test("concurrent enqueues in one tick share a round trip and keep their order", async () => {
    const queue = newQueue();
    const jobs = await Promise.all(Array.from({ length: 1_200 }, (_, i) => queue.enqueue("n", [i])));
    expect(new Set(jobs.map((j) => j.id)).size).toBe(1_200);
    const pending = await queue.list("pending", { limit: 1_200 });
    expect(pending.map((j) => j.args)).toEqual(jobs.map((_, i) => [i]));
  });

  test("priority and delay land the job in the right state", async () => {
    const queue = newQueue();
    const raw = await rawClient(connection, cleanup);
    const before = await redisNow(raw);
    const high = await queue.enqueue("t", [], { priority: "high" });
    const low = await queue.enqueue("t", [], { priority: "low" });
    const delayed = await queue.enqueue("t", [], { delayMs: 60_000 });
    const at = Date.now() + 120_000;
    const runAt = await queue.enqueue("t", [], { runAt: new Date(at), priority: "low" });
    const past = await queue.enqueue("t", [], { runAt: Date.now() - 1_000 });
    const after = await redisNow(raw);

    expect(await queue.getJob(high.id)).toMatchObject({ status: "pending", priority: "high" });
    expect(await queue.getJob(low.id)).toMatchObject({ status: "pending", priority: "low" });
    expect(await queue.getJob(past.id)).toMatchObject({ status: "pending", priority: "normal" });
    const d = await queue.getJob(delayed.id);
    expect(d?.status).toBe("scheduled");
    expect(d?.runAt).toBeGreaterThanOrEqual(before + 60_000);
    expect(d?.runAt).toBeLessThanOrEqual(after + 60_000);
    expect(await queue.getJob(runAt.id)).toMatchObject({ status: "scheduled", priority: "low", runAt: at });

    expect(await raw.lRange(keysOf(queue).pending.high, 0, -1)).toEqual([high.id]);
    expect(await raw.lRange(keysOf(queue).pending.low, 0, -1)).toEqual([low.id]);
    expect(await raw.zScore(keysOf(queue).scheduled, runAt.id)).toBe(at);
    expect(await queue.counts()).toEqual({ scheduled: 2, pending: 3, active: 0, completed: 0, failed: 0 });
  });

  test("a bad option is refused with VALIDATION naming it; nothing is stored", async () => {
    const prefix = uniquePrefix();
    const queue = newQueue({ prefix });
    for (const [opts, name] of [
      [{ priority: "urgent" }, "priority"],
      [{ maxRetries: -1 }, "maxRetries"],
      [{ delayMs: -5 }, "delayMs"],
      [{ timeoutMs: 0 }, "timeoutMs"],
      [{ jobId: "has space" }, "jobId"],
      [{ backoff: { type: "linear" } }, "backoff.type"],
    ] as const) {
      const error = await rejection(queue.enqueue("t", [], opts as never));
      expect(error.code).toBe("VALIDATION");
      expect(error.message).toContain(name);
    }
    expect((await rejection(queue.enqueue("", []))).code).toBe("VALIDATION");
    const raw = await rawClient(connection, cleanup);
    expect(await scanKeys(raw, `${prefix}:{${queue.name}}:*`)).toEqual([]);
  });
});

describe("payload cap", () => {
  test("a job over maxPayloadBytes is refused with PAYLOAD_TOO_LARGE and nothing reaches Redis", async () => {
    const prefix = uniquePrefix();
    const queue = newQueue({ prefix, maxPayloadBytes: 1_024 });
    const ok = await queue.enqueue("resize_image", ["x".repeat(500)]);
    const error = await rejection(queue.enqueue("resize_image", ["x".repeat(2_000)]));
    expect(error.code).toBe("PAYLOAD_TOO_LARGE");
    expect(error.message).toContain("1024-byte cap");
    const raw = await rawClient(connection, cleanup);
    expect(await scanKeys(raw, `${prefix}:{${queue.name}}:job:*`)).toEqual([keysOf(queue).job(ok.id)]);
    expect(await queue.counts()).toMatchObject({ pending: 1 });
  });

  test("the default cap is 512 KiB", async () => {
    const queue = newQueue();
    expect((await rejection(queue.enqueue("big", ["x".repeat(513 * 1024)]))).code).toBe("PAYLOAD_TOO_LARGE");
    expect((await queue.enqueue("fits", ["x".repeat(500 * 1024)])).created).toBe(true);
  });

  test("the cap is checked before any connection is made", async () => {
    // Nothing listens on port 1: a job that tried to reach Redis would fail with CONNECTION instead.
    const queue = cleanup.queue(
      new Queue(uniqueQueue("cap"), { connection: "redis://127.0.0.1:1", maxPayloadBytes: 100 }),
    );
    expect((await rejection(queue.enqueue("t", ["x".repeat(200)]))).code).toBe("PAYLOAD_TOO_LARGE");
    expect((await rejection(queue.enqueue(sendEmail, ["not-an-email", "Hi"]))).code).toBe("VALIDATION");
  });
});

describe("task contracts", () => {
  test("invalid args are refused with VALIDATION naming the task and the field; nothing is stored", async () => {
    const prefix = uniquePrefix();
    const queue = newQueue({ prefix });
    const error = await rejection(queue.enqueue(sendEmail, ["not-an-email", "Hi"]));
    expect(error.code).toBe("VALIDATION");
    expect(error.message).toContain('task "send_email"');
    expect(error.message).toContain("args[0]");
    const wrongShape = await rejection(queue.enqueue(sendEmail, ["user@example.com"] as never));
    expect(wrongShape.code).toBe("VALIDATION");
    const raw = await rawClient(connection, cleanup);
    expect(await scanKeys(raw, `${prefix}:{${queue.name}}:*`)).toEqual([]);
  });

  test("valid args are stored with the task's defaults; call options override them", async () => {
    const queue = newQueue();
    const a = await queue.enqueue(sendEmail, ["user@example.com", "Welcome!"]);
    const b = await queue.enqueue(sendEmail, ["user@example.com", "Again"], { priority: "low" });
    expect(a.task).toBe("send_email");
    expect(await queue.getJob(a.id)).toMatchObject({
      task: "send_email",
      args: ["user@example.com", "Welcome!"],
      priority: "high",
      maxRetries: 5,
    });
    expect(await queue.getJob(b.id)).toMatchObject({ priority: "low", maxRetries: 5 });
  });
});

describe("enqueueMany", () => {
  test("stores every job and returns one result per item, in order", async () => {
    const queue = newQueue();
    const jobs = await queue.enqueueMany([
      { task: "send_email", args: ["a@b.c", "Hi"] },
      { task: "resize_image", args: ["/p.jpg", 800, 600], opts: { priority: "low" } },
      { task: sendEmail, args: ["user@example.com", "Welcome!"] },
      { task: "later", opts: { delayMs: 60_000, jobId: "later-1" } },
    ]);
    expect(jobs.map((j) => j.task)).toEqual(["send_email", "resize_image", "send_email", "later"]);
    expect(jobs.every((j) => j.created)).toBe(true);
    expect(jobs[3]!.id).toBe("later-1");
    expect(await queue.getJob(jobs[1]!.id)).toMatchObject({ priority: "low", args: ["/p.jpg", 800, 600] });
    expect(await queue.getJob(jobs[2]!.id)).toMatchObject({ priority: "high" });
    expect(await queue.counts()).toEqual({ scheduled: 1, pending: 3, active: 0, completed: 0, failed: 0 });
    const again = await queue.enqueueMany([{ task: "later", opts: { jobId: "later-1" } }]);
    expect(again[0]).toMatchObject({ id: "later-1", created: false });
  });

  test(`stores ${ENQUEUE_MANY_MAX_JOBS} jobs in one call`, async () => {
    const queue = newQueue();
    const jobs = await queue.enqueueMany(
      Array.from({ length: ENQUEUE_MANY_MAX_JOBS }, (_, i) => ({ task: "n", args: [i] })),
    );
    expect(jobs).toHaveLength(1_000);
    expect(await queue.counts()).toMatchObject({ pending: 1_000 });
  });

  test("a call over the job cap is refused with VALIDATION before any item is read", async () => {
    const prefix = uniquePrefix();
    const queue = newQueue({ prefix });
    // A million items that count every read of them: the refusal must come before any is looked at (prepared,
    // validated, encoded), so the producer's memory stays what the caller's array already takes.
    let reads = 0;
    const item = {
      get task() {
        reads++;
        return "n";
      },
    };
    const error = await rejection(queue.enqueueMany(new Array(1_000_000).fill(item)));
    expect(error.code).toBe("VALIDATION");
    expect(error.message).toContain("at most 1000 jobs per call");
    expect(error.message).toContain("got 1000000");
    expect(error.message).toContain("split the list");
    expect(reads).toBe(0);
    const over = await rejection(
      queue.enqueueMany(Array.from({ length: ENQUEUE_MANY_MAX_JOBS + 1 }, () => ({ task: "n" }))),
    );
    expect(over.code).toBe("VALIDATION");
    const raw = await rawClient(connection, cleanup);
    expect(await scanKeys(raw, `${prefix}:{${queue.name}}:*`)).toEqual([]);
  });

  test("a call over the byte cap is refused with VALIDATION naming the item that crossed it", async () => {
    const prefix = uniquePrefix();
    const queue = newQueue({ prefix });
    // 40 jobs of 500 KB: each under maxPayloadBytes, together over 16 MiB.
    const read = new Set<number>();
    const big = "x".repeat(500_000);
    const items = Array.from({ length: 40 }, (_, i) => ({
      get task() {
        read.add(i);
        return "big";
      },
      args: [big],
    }));
    const error = await rejection(queue.enqueueMany(items));
    expect(error.code).toBe("VALIDATION");
    const crossing = Math.floor(ENQUEUE_MANY_MAX_BYTES / 500_000);
    expect(error.message).toContain(`item ${crossing}:`);
    expect(error.message).toContain(`${ENQUEUE_MANY_MAX_BYTES} bytes`);
    // it stopped at the item that crossed the cap: the rest were never prepared
    expect(Math.max(...read)).toBe(crossing);
    const raw = await rawClient(connection, cleanup);
    expect(await scanKeys(raw, `${prefix}:{${queue.name}}:*`)).toEqual([]);
    // one job alone is bounded by maxPayloadBytes only
    const alone = await queue.enqueueMany([{ task: "big", args: [big] }]);
    expect(alone[0]?.created).toBe(true);
  });

  test.each([
    ["a bad option", { task: "t", args: [], opts: { priority: "urgent" } }, "VALIDATION"],
    ["args failing the task's schema", { task: sendEmail, args: ["nope", "Hi"] }, "VALIDATION"],
    ["a job over the payload cap", { task: "t", args: ["x".repeat(5_000)] }, "PAYLOAD_TOO_LARGE"],
  ])("one item with %s stores nothing and names the item", async (_what, bad, code) => {
    const prefix = uniquePrefix();
    const queue = newQueue({ prefix, maxPayloadBytes: 4_096 });
    const error = await rejection(
      queue.enqueueMany([
        { task: "send_email", args: ["a@b.c", "Hi"] },
        { task: "resize_image", args: ["/p.jpg", 800, 600] },
        bad as never,
        { task: "generate_report", args: ["monthly", "2026-06"] },
      ]),
    );
    expect(error.code).toBe(code);
    expect(error.message).toContain("item 2");
    const raw = await rawClient(connection, cleanup);
    expect(await scanKeys(raw, `${prefix}:{${queue.name}}:*`)).toEqual([]);
  });
});

describe("task names", () => {
  test.each([
    ["a newline", "send_email\n[tq] job done"],
    ["a carriage return", "t\r"],
    ["a NUL", "t\u0000x"],
    ["an escape sequence", "\u001b[31mred"],
  ])(
    "a name with %s is refused with VALIDATION, quoted in the message; nothing is stored",
    async (_what, name) => {
      const prefix = uniquePrefix();
      const queue = newQueue({ prefix });
      const error = await rejection(queue.enqueue(name, []));
      expect(error.code).toBe("VALIDATION");
      expect(error.message).toContain("control characters");
      expect(error.message).toContain(JSON.stringify(name));
      expect(error.message).not.toMatch(/\p{Cc}/u);
      const many = await rejection(queue.enqueueMany([{ task: "ok" }, { task: name }]));
      expect(many.code).toBe("VALIDATION");
      expect(many.message).toContain("item 1");
      const raw = await rawClient(connection, cleanup);
      expect(await scanKeys(raw, `${prefix}:{${queue.name}}:*`)).toEqual([]);
    },
  );
});

describe("maxPending", () => {
  test("refuses an enqueue with QUEUE_FULL once pending + scheduled jobs reach it", async () => {
    const queue = newQueue({ maxPending: 3 });
    await queue.enqueue("t", []);
    await queue.enqueue("t", [], { delayMs: 60_000 });
    const third = await queue.enqueue("t", [], { jobId: "third" });
    const error = await rejection(queue.enqueue("t", [], { jobId: "fourth" }));
    expect(error.code).toBe("QUEUE_FULL");
    expect(error.message).toContain(`queue "${queue.name}"`);
    expect(error.message).toContain("maxPending (3)");
    expect(error.message).toContain('job "fourth"');
    expect(await queue.getJob("fourth")).toBeNull();
    // an id that exists creates nothing, so it is never refused
    expect(await queue.enqueue("t", [], { jobId: third.id })).toMatchObject({ created: false });
    // a claimed job no longer waits: there is room for one more
    await take(queue, 1);
    expect((await queue.enqueue("t", [], { jobId: "fourth" })).created).toBe(true);
    expect((await rejection(queue.enqueue("t", []))).code).toBe("QUEUE_FULL");
    expect(await queue.counts()).toMatchObject({ pending: 2, scheduled: 1, active: 1 });
  });

  test("enqueueMany is all or nothing under it", async () => {
    const prefix = uniquePrefix();
    const queue = newQueue({ prefix, maxPending: 5 });
    await queue.enqueueMany([{ task: "t" }, { task: "t" }, { task: "t", opts: { jobId: "kept" } }]);
    const error = await rejection(
      queue.enqueueMany([
        { task: "t", opts: { jobId: "kept" } },
        { task: "t" },
        { task: "t" },
        { task: "t" },
      ]),
    );
    expect(error.code).toBe("QUEUE_FULL");
    expect(error.message).toContain("none of the 4");
    expect(await queue.counts()).toMatchObject({ pending: 3 });
    // the existing id takes no place: two new jobs fit exactly
    const fits = await queue.enqueueMany([
      { task: "t", opts: { jobId: "kept" } },
      { task: "t" },
      { task: "t" },
    ]);
    expect(fits.map((j) => j.created)).toEqual([false, true, true]);
    expect(await queue.counts()).toMatchObject({ pending: 5 });
  });

  test("producers racing for the last places cannot overshoot it", async () => {
    const name = uniqueQueue("full");
    const producers = Array.from({ length: 10 }, () =>
      cleanup.queue(new Queue(name, { connection, maxPending: 25 })),
    );
    await Promise.all(producers.map((p) => connected(p)));
    const outcomes = await Promise.allSettled(
      producers.flatMap((p) => Array.from({ length: 10 }, (_, i) => p.enqueue("t", [i]))),
    );
    const refused = outcomes.filter((o) => o.status === "rejected");
    expect(outcomes.filter((o) => o.status === "fulfilled")).toHaveLength(25);
    expect(refused).toHaveLength(75);
    for (const o of refused)
      expect((o as PromiseRejectedResult).reason).toMatchObject({ code: "QUEUE_FULL" });
    expect(await producers[0]!.counts()).toMatchObject({ pending: 25 });
  });

  test("must be a positive integer", () => {
    for (const maxPending of [0, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY]) {
      expect(() => new Queue(uniqueQueue(), { connection, maxPending })).toThrow(/maxPending/);
    }
  });
});

describe("shards", () => {
  test("1 is a queue in one hash slot; anything else is refused with VALIDATION, never ignored", () => {
    expect(() => new Queue(uniqueQueue(), { connection, shards: 1 })).not.toThrow();
    for (const shards of [0, -1, 1.5, Number.NaN, 2, 8]) {
      let error: unknown;
      try {
        new Queue(uniqueQueue(), { connection, shards });
      } catch (thrown) {
        error = thrown;
      }
      expect(error, String(shards)).toMatchObject({
        code: "VALIDATION",
        message: expect.stringMatching(/^shards/),
      });
    }
  });
});
