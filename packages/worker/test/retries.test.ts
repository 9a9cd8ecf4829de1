import type { BackoffOptions, Queue } from "@tq/client";
import { sleep } from "@tq/testing";
import { describe, expect, inject, test } from "vitest";
import { TqError, UnrecoverableError } from "../src/index.js";
import { deferred, Harness } from "./helpers.js";

const h = new Harness(inject("redisUrl"));

/** Runs a job that fails on its first `failures` runs; returns each run's startedAt (Redis clock) and the delays. */
async function runFlaky(queue: Queue, backoff: BackoffOptions, failures: number) {
  const startedAt: number[] = [];
  const delays: number[] = [];
  const worker = h.worker(queue.name, {
    flaky: async (_args, ctx) => {
      const info = await queue.getJob(ctx.jobId);
      startedAt.push(info!.startedAt!);
      if (ctx.attempt <= failures) throw new Error(`run ${ctx.attempt} failed`);
      return ctx.attempt;
    },
  });
  worker.on("retrying", (_job, _error, delayMs) => delays.push(delayMs));
  await worker.start();
  const job = await queue.enqueue("flaky", [], { maxRetries: failures, backoff });
  expect(await queue.waitForResult(job.id, { timeoutMs: 30_000 })).toBe(failures + 1);
  const info = await queue.getJob(job.id);
  expect(info).toMatchObject({ status: "completed", attempts: failures + 1 });
  expect(info!.errors!.map((e) => [e.attempt, e.message])).toEqual(
    Array.from({ length: failures }, (_, i) => [i + 1, `run ${i + 1} failed`]),
  );
  const gaps = startedAt.slice(1).map((t, i) => t - startedAt[i]!);
  return { gaps, delays };
}

describe("retries with backoff", () => {
  test("fixed: every retry waits at least delayMs", async () => {
    const { gaps, delays } = await runFlaky(h.queue(), { type: "fixed", delayMs: 150 }, 3);
    expect(delays).toEqual([150, 150, 150]);
    expect(gaps).toHaveLength(3);
    for (const gap of gaps) expect(gap).toBeGreaterThanOrEqual(150);
  });

  test("exponential without jitter: the waits double", async () => {
    const { gaps, delays } = await runFlaky(
      h.queue(),
      { type: "exponential", delayMs: 100, jitter: false },
      3,
    );
    expect(delays).toEqual([100, 200, 400]);
    for (const [i, gap] of gaps.entries()) expect(gap).toBeGreaterThanOrEqual(100 * 2 ** i);
  });

  test("exponential with jitter: each wait is at least half the doubled delay, never more than it", async () => {
    const { gaps, delays } = await runFlaky(
      h.queue(),
      { type: "exponential", delayMs: 120, maxDelayMs: 300, jitter: true },
      3,
    );
    const full = [120, 240, 300];
    delays.forEach((delay, i) => {
      expect(delay).toBeGreaterThanOrEqual(full[i]! / 2);
      expect(delay).toBeLessThanOrEqual(full[i]!);
    });
    for (const [i, gap] of gaps.entries()) expect(gap).toBeGreaterThanOrEqual(full[i]! / 2);
  });

  test("the default backoff waits at least half a second before the first retry", async () => {
    const queue = h.queue();
    const startedAt: number[] = [];
    const worker = h.worker(queue.name, {
      flaky: async (_args, ctx) => {
        startedAt.push((await queue.getJob(ctx.jobId))!.startedAt!);
        if (ctx.attempt === 1) throw new Error("once");
      },
    });
    await worker.start();
    const job = await queue.enqueue("flaky", []);
    const waiting = queue.waitForResult(job.id, { timeoutMs: 30_000 });
    await expect
      .poll(async () => (await queue.getJob(job.id))?.status, { timeout: 10_000 })
      .toBe("scheduled");
    await waiting;
    expect(startedAt[1]! - startedAt[0]!).toBeGreaterThanOrEqual(500);
  });
});

describe("failing for good", () => {
  test.each([
    ["UnrecoverableError", () => new UnrecoverableError("card declined")],
    ["an error with retryable: false", () => Object.assign(new Error("card declined"), { retryable: false })],
    ["a TqError with retryable: false", () => new TqError("HANDLER", "card declined", { retryable: false })],
  ])("%s fails the job at once, whatever retries are left", async (_what, make) => {
    const queue = h.queue();
    let runs = 0;
    const worker = h.worker(queue.name, {
      charge: async () => {
        runs++;
        throw make();
      },
    });
    await worker.start();
    const job = await queue.enqueue("charge", [], { maxRetries: 5, backoff: { type: "fixed", delayMs: 0 } });
    await expect(queue.waitForResult(job.id, { timeoutMs: 20_000 })).rejects.toMatchObject({
      code: "JOB_FAILED",
    });
    const info = await queue.getJob(job.id);
    expect(info).toMatchObject({ status: "failed", attempts: 1 });
    expect(info!.errors).toHaveLength(1);
    expect(info!.error!.message).toBe("card declined");
    expect(runs).toBe(1);
  });

  test("a plain error is retried maxRetries times, then the job is dead-lettered with one error per run", async () => {
    const queue = h.queue();
    let healthy = false;
    const failedEvents: string[] = [];
    const worker = h.worker(queue.name, {
      charge: async (_args, ctx) => {
        if (!healthy) throw new Error(`gateway down (run ${ctx.attempt})`);
        return `charged on run ${ctx.attempt}`;
      },
    });
    worker.on("failed", (job) => failedEvents.push(job.id));
    await worker.start();
    const job = await queue.enqueue("charge", [], { maxRetries: 2, backoff: { type: "fixed", delayMs: 10 } });
    const error = await queue.waitForResult(job.id, { timeoutMs: 20_000 }).catch((e: unknown) => e);
    expect(error).toMatchObject({
      code: "JOB_FAILED",
      cause: { message: "gateway down (run 3)", attempt: 3 },
    });
    const dead = await queue.getJob(job.id);
    expect(dead).toMatchObject({ status: "failed", attempts: 3 });
    expect(dead!.errors!.map((e) => e.message)).toEqual([
      "gateway down (run 1)",
      "gateway down (run 2)",
      "gateway down (run 3)",
    ]);
    expect(dead!.errors!.every((e) => e.name === "Error" && typeof e.stack === "string")).toBe(true);
    expect((await queue.list("failed")).map((j) => j.id)).toEqual([job.id]);
    await expect.poll(() => failedEvents, { timeout: 10_000 }).toEqual([job.id]);

    // replay from the dead letter once the cause is fixed
    healthy = true;
    expect(await queue.retry(job.id)).toBe(true);
    expect(await queue.waitForResult(job.id, { timeoutMs: 20_000 })).toBe("charged on run 1");
    const replayed = await queue.getJob(job.id);
    expect(replayed).toMatchObject({ status: "completed", attempts: 1 });
    expect(replayed!.errors).toHaveLength(3);
    expect(await queue.counts()).toMatchObject({ failed: 0, completed: 1 });
  });
});

describe("timeoutMs", () => {
  test("aborts ctx.signal and fails the run; the job is retried while retries remain", async () => {
    const queue = h.queue();
    const reasons: unknown[] = [];
    const worker = h.worker(queue.name, {
      slow: (_args, ctx) => {
        if (ctx.attempt > 1) return "fast the second time";
        return new Promise((_, reject) => {
          ctx.signal.addEventListener("abort", () => {
            reasons.push(ctx.signal.reason);
            reject(ctx.signal.reason);
          });
        });
      },
    });
    await worker.start();
    const job = await queue.enqueue("slow", [], {
      timeoutMs: 200,
      maxRetries: 1,
      backoff: { type: "fixed", delayMs: 10 },
    });
    expect(await queue.waitForResult(job.id, { timeoutMs: 20_000 })).toBe("fast the second time");
    expect(reasons).toHaveLength(1);
    expect(reasons[0]).toMatchObject({ code: "TIMEOUT" });
    const info = await queue.getJob(job.id);
    expect(info).toMatchObject({ status: "completed", attempts: 2 });
    expect(info!.errors).toHaveLength(1);
    expect(info!.errors![0]).toMatchObject({ code: "TIMEOUT", attempt: 1 });
    expect(info!.errors![0]!.message).toContain("200 ms");
  });

  test("a handler that ignores the signal still fails at its timeout; its late result is discarded", async () => {
    const queue = h.queue();
    const finished = deferred();
    const worker = h.worker(queue.name, {
      stubborn: async () => {
        await sleep(800);
        finished.resolve();
        return "too late";
      },
      next: async () => "next",
    });
    await worker.start();
    const job = await queue.enqueue("stubborn", [], { timeoutMs: 150, maxRetries: 0 });
    await expect(queue.waitForResult(job.id, { timeoutMs: 20_000 })).rejects.toMatchObject({
      code: "JOB_FAILED",
      cause: { code: "TIMEOUT" },
    });
    await finished.promise;
    // any ack from the late run would have gone out with the next job's claim or completion
    const next = await queue.enqueue("next", []);
    expect(await queue.waitForResult(next.id, { timeoutMs: 20_000 })).toBe("next");
    expect(await queue.getJob(job.id)).toMatchObject({ status: "failed", attempts: 1 });
    expect((await queue.getJob(job.id))!.result).toBeUndefined();
  });
});
