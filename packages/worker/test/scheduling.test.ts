import { sleep } from "@tq/testing";
import { describe, expect, inject, test } from "vitest";
import { deferred, Harness, redisNow } from "./helpers.js";

const h = new Harness(inject("redisUrl"));

describe("priority", () => {
  test("high runs before normal before low, and each priority is FIFO (concurrency 1)", async () => {
    const queue = h.queue();
    const ran: string[] = [];
    const enqueued: Array<[string, "high" | "normal" | "low"]> = [
      ["l1", "low"],
      ["n1", "normal"],
      ["h1", "high"],
      ["l2", "low"],
      ["n2", "normal"],
      ["h2", "high"],
      ["n3", "normal"],
      ["h3", "high"],
      ["l3", "low"],
    ];
    for (const [label, priority] of enqueued) await queue.enqueue("t", [label], { priority });
    const worker = h.worker(queue.name, {
      t: async ([label]: [string]) => {
        ran.push(label);
      },
    });
    await worker.start();
    await expect.poll(() => ran.length, { timeout: 20_000 }).toBe(9);
    expect(ran).toEqual(["h1", "h2", "h3", "n1", "n2", "n3", "l1", "l2", "l3"]);
  });

  test("a high-priority job enqueued while the worker is busy runs before older normal ones", async () => {
    const queue = h.queue();
    const ran: string[] = [];
    const started = deferred();
    const release = deferred();
    const worker = h.worker(queue.name, {
      block: async () => {
        started.resolve();
        await release.promise;
      },
      t: async ([label]: [string]) => {
        ran.push(label);
      },
    });
    await worker.start();
    await queue.enqueue("block", []);
    await started.promise;
    await queue.enqueue("t", ["n1"]);
    await queue.enqueue("t", ["n2"]);
    await queue.enqueue("t", ["h1"], { priority: "high" });
    release.resolve();
    await expect.poll(() => ran.length, { timeout: 20_000 }).toBe(3);
    expect(ran).toEqual(["h1", "n1", "n2"]);
  });
});

describe("concurrency", () => {
  test.each([1, 4])("concurrency %i runs that many jobs at once, never more", async (concurrency) => {
    const queue = h.queue();
    let running = 0;
    let most = 0;
    let reached = deferred();
    const worker = h.worker(
      queue.name,
      {
        t: async () => {
          running++;
          most = Math.max(most, running);
          if (running === concurrency) reached.resolve();
          // hold the slot until the worker has filled every slot (or a generous while), so overlap is certain
          await Promise.race([reached.promise, sleep(3_000)]);
          await sleep(20);
          running--;
          if (running === 0) reached = deferred();
        },
      },
      { concurrency },
    );
    await queue.enqueueMany(Array.from({ length: concurrency * 3 }, () => ({ task: "t" })));
    await worker.start();
    await expect
      .poll(async () => (await queue.counts()).completed, { timeout: 30_000 })
      .toBe(concurrency * 3);
    expect(most).toBe(concurrency);
  });

  test("two workers on one queue share the work and each job runs once", async () => {
    const queue = h.queue();
    const runs = new Map<number, number>();
    const byWorker = [0, 0];
    const handler =
      (w: number) =>
      async ([i]: [number]) => {
        runs.set(i, (runs.get(i) ?? 0) + 1);
        byWorker[w]!++;
        await sleep(1);
      };
    const a = h.worker(queue.name, { t: handler(0) }, { concurrency: 3 });
    const b = h.worker(queue.name, { t: handler(1) }, { concurrency: 3 });
    await Promise.all([a.start(), b.start()]);
    await queue.enqueueMany(Array.from({ length: 300 }, (_, i) => ({ task: "t", args: [i] })));
    await expect.poll(async () => (await queue.counts()).completed, { timeout: 30_000 }).toBe(300);
    expect(runs.size).toBe(300);
    expect([...runs.values()].every((n) => n === 1)).toBe(true);
    expect(byWorker[0]! + byWorker[1]!).toBe(300);
  });
});

describe("delayed jobs", () => {
  test("never start before their time (Redis clock) and run without any other activity", async () => {
    const queue = h.queue();
    const raw = await h.raw();
    // A long maxBlockMs: only the worker's timed wake-up can run these jobs within the test's timeout.
    const worker = h.worker(queue.name, { t: async ([label]: [string]) => label }, { maxBlockMs: 120_000 });
    await worker.start();
    const jobs: Array<{ id: string; notBefore: number }> = [];
    for (const delayMs of [900, 300, 600]) {
      const before = await redisNow(raw);
      const job = await queue.enqueue("t", [`d${delayMs}`], { delayMs });
      jobs.push({ id: job.id, notBefore: before + delayMs });
    }
    // runAt is an absolute time that the Redis clock is compared against
    const at = (await redisNow(raw)) + 700;
    const byRunAt = await queue.enqueue("t", ["runAt"], { runAt: at });
    jobs.push({ id: byRunAt.id, notBefore: at });

    expect((await queue.counts()).scheduled).toBe(4);
    for (const job of jobs) {
      await queue.waitForResult(job.id, { timeoutMs: 30_000 });
      const info = await queue.getJob(job.id);
      expect(info!.startedAt).toBeGreaterThanOrEqual(job.notBefore);
    }
    expect(worker.errors).toEqual([]);
  });

  test("a delayed job enqueued while the worker is busy starts once a slot frees, not before its time", async () => {
    const queue = h.queue();
    const raw = await h.raw();
    const release = deferred();
    const started = deferred();
    const worker = h.worker(
      queue.name,
      {
        block: async () => {
          started.resolve();
          await release.promise;
        },
        t: async () => "ran",
      },
      { maxBlockMs: 120_000 },
    );
    await worker.start();
    await queue.enqueue("block", []);
    await started.promise;
    const before = await redisNow(raw);
    const job = await queue.enqueue("t", [], { delayMs: 400 });
    await sleep(100);
    release.resolve();
    expect(await queue.waitForResult(job.id, { timeoutMs: 30_000 })).toBe("ran");
    expect((await queue.getJob(job.id))!.startedAt).toBeGreaterThanOrEqual(before + 400);
  });
});

describe("pause", () => {
  test("a paused queue is not claimed by a running worker; resume lets it run", async () => {
    const queue = h.queue();
    const ran: string[] = [];
    const worker = h.worker(queue.name, {
      t: async ([label]: [string]) => {
        ran.push(label);
      },
    });
    await worker.start();
    await queue.pause();
    const job = await queue.enqueue("t", ["while paused"]);
    await sleep(300);
    expect(ran).toEqual([]);
    expect(await queue.getJob(job.id)).toMatchObject({ status: "pending", attempts: 0 });
    await queue.resume();
    await queue.waitForResult(job.id, { timeoutMs: 20_000 });
    expect(ran).toEqual(["while paused"]);
  });
});
