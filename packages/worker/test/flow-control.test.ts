import { Queue } from "@tq/client";
import { isTqError } from "@tq/job-schema";
import {
  mostAtOnce,
  mostStartsInAnyWindow,
  testClient,
  uniquePrefix,
  uniqueQueue,
  waitFor,
} from "@tq/testing";
import { Worker } from "@tq/worker";
import { afterEach, describe, expect, inject, test } from "vitest";
import { finished, fixture, setupPool } from "./pool-helpers.js";

const connection = inject("redisUrl");
const cleanup: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  while (cleanup.length) await cleanup.pop()?.();
});

describe("rate limit", () => {
  test("no window of durationMs holds more than max starts across three worker processes", {
    timeout: 120_000,
  }, async () => {
    const { producer, pool } = setupPool("rate", cleanup, {
      module: fixture("flow-tasks.mjs"),
      processes: 3,
      concurrency: 5,
    });
    await producer.setRateLimit({ max: 5, durationMs: 400 });
    const jobs = await producer.enqueueMany(Array.from({ length: 40 }, () => ({ task: "work", args: [5] })));
    await pool.start();
    const done = await finished(
      producer,
      jobs.map((j) => j.id),
    );
    const starts = done.map((j) => j.startedAt as number);
    expect(mostStartsInAnyWindow(starts, 400)).toBeLessThanOrEqual(5);
    // the limit held the queue back: 40 starts at 5 per 400 ms need at least 7 full windows
    expect(Math.max(...starts) - Math.min(...starts)).toBeGreaterThanOrEqual(7 * 400);
    // every process took part
    expect(new Set(done.map((j) => (j.result as { pid: number }).pid)).size).toBeGreaterThan(1);
    expect((await producer.stats()).limits.rateLimit).toEqual({ max: 5, durationMs: 400 });
  });

  test("idle workers sleep until the window opens instead of claiming on every enqueue", {
    timeout: 60_000,
  }, async () => {
    const { producer, pool, keys } = setupPool("rate-idle", cleanup, {
      module: fixture("flow-tasks.mjs"),
      processes: 2,
      concurrency: 2,
    });
    await producer.setRateLimit({ max: 1, durationMs: 3_000 });
    await pool.start();
    const first = await producer.enqueue("work", [1]);
    await finished(producer, [first.id]);
    // the window is full for about 3 s: a stream of enqueues must not turn into a stream of claims
    const raw = testClient(connection);
    await raw.connect();
    cleanup.push(() => raw.close());
    const before = Number((await raw.hGet(keys.meta, "fence")) ?? 0);
    const later: string[] = [];
    for (let i = 0; i < 20; i++) {
      later.push((await producer.enqueue("work", [1])).id);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect((await producer.counts()).pending).toBeGreaterThanOrEqual(19);
    // the first of them starts when the window opens, and not before
    const second = await finished(producer, [later[0] as string], 20_000);
    expect(second[0]?.startedAt as number).toBeGreaterThanOrEqual(
      (await producer.getJob(first.id))?.startedAt as number,
    );
    // tokens are reserved per claiming call: a claim call per enqueue would have moved the counter 20 times over
    const claimCalls = Number((await raw.hGet(keys.meta, "fence")) ?? 0) - before;
    expect(claimCalls).toBeLessThan(20 * 2);
  });

  test("a limit can be removed: the backlog then runs at full speed", { timeout: 60_000 }, async () => {
    const producer = new Queue(uniqueQueue("rate-off"), { connection, prefix: uniquePrefix() });
    cleanup.push(() => producer.close());
    await producer.setRateLimit({ max: 1, durationMs: 60_000 });
    const jobs = await producer.enqueueMany(Array.from({ length: 10 }, () => ({ task: "t", args: [] })));
    const worker = new Worker(
      producer.name,
      { t: async () => "ok" },
      {
        connection,
        prefix: producer.prefix,
        concurrency: 10,
      },
    );
    cleanup.push(() => worker.close());
    await worker.start();
    await waitFor(async () => (await producer.counts()).completed === 1, {
      what: "the one start the window allows",
    });
    expect((await producer.counts()).pending).toBe(9);
    await producer.setRateLimit(null);
    await finished(
      producer,
      jobs.map((j) => j.id),
      20_000,
    );
    expect((await producer.stats()).limits.rateLimit).toBeNull();
  });
});

describe("global concurrency", () => {
  test("never more jobs active at once than the limit, across three processes of five slots each", {
    timeout: 120_000,
  }, async () => {
    const { producer, pool } = setupPool("conc", cleanup, {
      module: fixture("flow-tasks.mjs"),
      processes: 3,
      concurrency: 5,
    });
    await producer.setConcurrency(3);
    const jobs = await producer.enqueueMany(Array.from({ length: 45 }, () => ({ task: "work", args: [40] })));
    await pool.start();
    const done = await finished(
      producer,
      jobs.map((j) => j.id),
    );
    const spans = done.map((j) => [j.startedAt as number, j.finishedAt as number] as [number, number]);
    expect(mostAtOnce(spans)).toBeLessThanOrEqual(3);
    // and the limit was used, not undershot to one at a time
    expect(mostAtOnce(spans)).toBe(3);
    expect((await producer.stats()).limits.concurrency).toBe(3);
  });
});

describe("ctx.rateLimit", () => {
  test("holds every claim for the time asked; the throttled job goes back uncounted and then completes", {
    timeout: 60_000,
  }, async () => {
    const producer = new Queue(uniqueQueue("hold"), { connection, prefix: uniquePrefix() });
    cleanup.push(() => producer.close());
    const throttledOnce = new Set<string>();
    const worker = new Worker(
      producer.name,
      {
        call: async (_args: unknown, ctx) => {
          if (!throttledOnce.has(ctx.jobId)) {
            throttledOnce.add(ctx.jobId);
            await ctx.rateLimit(1_000);
            throw new Error("429 Too Many Requests");
          }
          return ctx.attempt;
        },
        other: async () => "ok",
      },
      { connection, prefix: producer.prefix, concurrency: 1 },
    );
    cleanup.push(() => worker.close());
    const throttled = await producer.enqueue("call", [], { maxRetries: 0 });
    await worker.start();
    await waitFor(async () => (await producer.stats()).limits.heldUntil !== null, { what: "the hold" });
    const held = (await producer.stats()).limits.heldUntil as number;
    const others = await producer.enqueueMany(Array.from({ length: 3 }, () => ({ task: "other", args: [] })));
    const [job] = await finished(producer, [throttled.id]);
    // not a failure: the same attempt ran again, no error recorded, no retry used (maxRetries 0)
    expect(job?.attempts).toBe(1);
    expect(job?.result).toBe(1);
    expect(job?.errors ?? []).toEqual([]);
    const rest = await finished(
      producer,
      others.map((j) => j.id),
    );
    for (const other of [job, ...rest]) expect(other?.startedAt as number).toBeGreaterThanOrEqual(held);
  });

  test("bad input: a limit of 0, negative or fractional is refused before Redis", async () => {
    const producer = new Queue(uniqueQueue("bad-limits"), { connection, prefix: uniquePrefix() });
    cleanup.push(() => producer.close());
    const refused = async (call: Promise<unknown>, pattern: RegExp) => {
      const error = await call.then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(isTqError(error) && error.code === "VALIDATION").toBe(true);
      expect((error as Error).message).toMatch(pattern);
    };
    await refused(producer.setRateLimit({ max: 0, durationMs: 1000 }), /rateLimit\.max/);
    await refused(producer.setRateLimit({ max: 5, durationMs: -1 }), /rateLimit\.durationMs/);
    await refused(producer.setRateLimit({ max: 1.5, durationMs: 1000 }), /rateLimit\.max/);
    await refused(producer.setRateLimit({} as never), /rateLimit\.max/);
    await refused(producer.setConcurrency(0), /concurrency/);
    await refused(producer.setConcurrency(-3), /concurrency/);
    const limits = (await producer.stats()).limits;
    expect(limits).toEqual({
      rateLimit: null,
      concurrency: null,
      heldUntil: null,
      groupConcurrency: null,
      groupRateLimit: null,
    });
  });
});
