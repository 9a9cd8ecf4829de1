import { describe, expect, inject, test } from "vitest";
import { Harness, keysOf } from "./helpers.js";

const h = new Harness(inject("redisUrl"));

describe("a job's errors history stays bounded", () => {
  test("many failed runs and a replay keep the newest 10 entries and count them all", async () => {
    const queue = h.queue();
    const raw = await h.raw();
    const worker = h.worker(queue.name, {
      fail: async (_args, ctx) => {
        throw new Error(`run ${ctx.attempt} failed: ${"padding ".repeat(100)}`);
      },
    });
    await worker.start();
    const runs = 60;
    const job = await queue.enqueue("fail", [], {
      maxRetries: runs - 1,
      backoff: { type: "fixed", delayMs: 0 },
    });
    await expect(queue.waitForResult(job.id, { timeoutMs: 30_000 })).rejects.toMatchObject({
      code: "JOB_FAILED",
    });
    let info = await queue.getJob(job.id);
    expect(info).toMatchObject({ status: "failed", attempts: runs, errorCount: runs });
    expect(info?.errors).toHaveLength(10);
    expect(info?.errors?.map((e) => e.attempt)).toEqual(Array.from({ length: 10 }, (_, i) => runs - 9 + i));
    expect(info?.error?.attempt).toBe(runs);
    const size = Number(await raw.sendCommand(["HSTRLEN", keysOf(queue).job(job.id), "errors"]));
    // 10 entries of about 2 KB each (60 would be over 120 KB)
    expect(size).toBeLessThan(30_000);

    // a replay runs it another `runs` times: still 10 entries, counted across replays
    expect(await queue.retry(job.id)).toBe(true);
    await expect(queue.waitForResult(job.id, { timeoutMs: 30_000 })).rejects.toMatchObject({
      code: "JOB_FAILED",
    });
    info = await queue.getJob(job.id);
    expect(info).toMatchObject({ status: "failed", errorCount: 2 * runs });
    expect(info?.errors).toHaveLength(10);
    expect(Number(await raw.sendCommand(["HSTRLEN", keysOf(queue).job(job.id), "errors"]))).toBeLessThan(
      30_000,
    );
  });

  test("a record written before the counter existed is trimmed on its next failure", async () => {
    const queue = h.queue();
    const raw = await h.raw();
    const job = await queue.enqueue("fail", [], { maxRetries: 0 });
    const old = Array.from({ length: 50 }, (_, i) => ({ name: "Error", message: `old ${i}`, attempt: 1 }));
    await raw.hSet(keysOf(queue).job(job.id), "errors", JSON.stringify(old));
    const worker = h.worker(queue.name, {
      fail: async () => {
        throw new Error("new");
      },
    });
    await worker.start();
    await expect(queue.waitForResult(job.id, { timeoutMs: 20_000 })).rejects.toMatchObject({
      code: "JOB_FAILED",
    });
    const info = await queue.getJob(job.id);
    expect(info?.errorCount).toBe(51);
    expect(info?.errors?.map((e) => e.message)).toEqual([...old.slice(-9).map((e) => e.message), "new"]);
  });
});
