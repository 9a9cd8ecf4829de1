import { uniquePrefix, uniqueQueue } from "@tq/testing";
import { describe, expect, inject, test } from "vitest";
import { countKeys, Harness, keysOf, redisNow } from "./helpers.js";

const h = new Harness(inject("redisUrl"));

describe("retention", () => {
  test("12,000 jobs with the default retention leave the newest 1,000 completed jobs and their records", {
    timeout: 180_000,
  }, async () => {
    const prefix = uniquePrefix();
    const queue = h.queue(uniqueQueue("ret"), { prefix });
    const raw = await h.raw();
    let ran = 0;
    const worker = h.worker(
      queue.name,
      {
        noop: async () => {
          ran++;
        },
      },
      { prefix, concurrency: 50 },
    );
    await worker.start();
    const total = 12_000;
    let last = "";
    for (let i = 0; i < total; i += 1_000) {
      const jobs = await queue.enqueueMany(
        Array.from({ length: 1_000 }, (_, j) => ({ task: "noop", args: [i + j] })),
      );
      last = jobs.at(-1)!.id;
    }
    // sample the completed set while the jobs run: it never grows past the limit
    let most = 0;
    let sampling = true;
    const sampler = (async () => {
      while (sampling) {
        most = Math.max(most, await raw.zCard(keysOf(queue).completed));
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    })();
    await queue.waitForResult(last, { timeoutMs: 150_000 });
    sampling = false;
    await sampler;
    expect(most).toBeGreaterThan(0);
    expect(most).toBeLessThanOrEqual(1_000);
    await expect
      .poll(async () => (await queue.counts()).pending + (await queue.counts()).active, { timeout: 60_000 })
      .toBe(0);
    await expect.poll(() => ran, { timeout: 30_000 }).toBe(total);

    expect(await queue.counts()).toEqual({
      scheduled: 0,
      pending: 0,
      active: 0,
      completed: 1_000,
      failed: 0,
    });
    expect(await countKeys(raw, `${prefix}:{${queue.name}}:job:*`)).toBe(1_000);
    // the newest jobs are the ones kept
    expect((await queue.list("completed", { limit: 1 }))[0]?.status).toBe("completed");
    expect(await queue.getJob(last)).toMatchObject({ status: "completed" });
    // the event stream is capped too
    expect(await raw.xLen(keysOf(queue).events)).toBeLessThan(11_000);
  });

  test("a count limit keeps only the newest completed and failed jobs", async () => {
    const queue = h.queue(uniqueQueue("ret"), {
      retention: { completed: { count: 2 }, failed: { count: 1 } },
    });
    const worker = h.worker(queue.name, {
      ok: async ([n]: [number]) => n,
      bad: async () => {
        throw new Error("no");
      },
    });
    await worker.start();
    const ok: string[] = [];
    for (let n = 0; n < 5; n++) {
      const job = await queue.enqueue("ok", [n]);
      await queue.waitForResult(job.id, { timeoutMs: 20_000 });
      ok.push(job.id);
    }
    const bad: string[] = [];
    for (let n = 0; n < 3; n++) {
      const job = await queue.enqueue("bad", [], { maxRetries: 0 });
      await queue.waitForResult(job.id, { timeoutMs: 20_000 }).catch(() => {});
      bad.push(job.id);
    }
    expect((await queue.list("completed")).map((j) => j.id)).toEqual([ok[4], ok[3]]);
    expect((await queue.list("failed")).map((j) => j.id)).toEqual([bad[2]]);
    for (const id of [...ok.slice(0, 3), ...bad.slice(0, 2)]) expect(await queue.getJob(id)).toBeNull();
  });

  test("an age limit removes jobs that finished longer ago than ageMs", { timeout: 60_000 }, async () => {
    const prefix = uniquePrefix();
    const queue = h.queue(uniqueQueue("ret"), { prefix, retention: { completed: { ageMs: 2_000 } } });
    const raw = await h.raw();
    const worker = h.worker(queue.name, { t: async ([n]: [number]) => n }, { prefix });
    await worker.start();
    const old = await queue.enqueueMany([0, 1, 2, 3, 4].map((n) => ({ task: "t", args: [n] })));
    for (const job of old) await queue.waitForResult(job.id, { timeoutMs: 20_000 });
    expect(await countKeys(raw, `${prefix}:{${queue.name}}:job:*`)).toBe(5);
    const oldest = Math.max(
      ...(await Promise.all(old.map(async (j) => (await queue.getJob(j.id))!.finishedAt!))),
    );
    // wait until the Redis clock is past the age limit of every old job
    await expect
      .poll(async () => (await redisNow(raw)) > oldest + 2_000, { timeout: 30_000, interval: 50 })
      .toBe(true);
    const fresh = await queue.enqueue("t", [5]);
    expect(await queue.waitForResult(fresh.id, { timeoutMs: 20_000 })).toBe(5);
    expect((await queue.list("completed")).map((j) => j.id)).toEqual([fresh.id]);
    for (const job of old) expect(await queue.getJob(job.id)).toBeNull();
    expect(await countKeys(raw, `${prefix}:{${queue.name}}:job:*`)).toBe(1);
  });
});
