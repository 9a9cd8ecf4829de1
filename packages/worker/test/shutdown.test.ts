import { isTqError } from "@tq/client";
import { sleep, testClient } from "@tq/testing";
import { describe, expect, inject, test } from "vitest";
import { Worker } from "../src/index.js";
import { deferred, Harness, quietLogger } from "./helpers.js";

const h = new Harness(inject("redisUrl"));

describe("graceful close", () => {
  test("stops claiming and lets running jobs finish", async () => {
    const queue = h.queue();
    const gate = deferred();
    let started = 0;
    const bothStarted = deferred();
    const worker = h.worker(
      queue.name,
      {
        t: async ([n]: [number]) => {
          if (++started === 2) bothStarted.resolve();
          await gate.promise;
          return n;
        },
      },
      { concurrency: 2, shutdownTimeoutMs: 30_000 },
    );
    let closedEvent = false;
    worker.on("closed", () => {
      closedEvent = true;
    });
    await worker.start();
    const jobs = await queue.enqueueMany([0, 1, 2].map((n) => ({ task: "t", args: [n] })));
    await bothStarted.promise;
    let closed = false;
    const closing = worker.close().then(() => {
      closed = true;
    });
    await sleep(200);
    expect(closed).toBe(false);
    gate.resolve();
    await closing;
    expect(closedEvent).toBe(true);
    expect(worker.isRunning).toBe(false);
    expect(await queue.getJob(jobs[0]!.id)).toMatchObject({ status: "completed", result: 0 });
    expect(await queue.getJob(jobs[1]!.id)).toMatchObject({ status: "completed", result: 1 });
    expect(await queue.getJob(jobs[2]!.id)).toMatchObject({ status: "pending", attempts: 0 });
    expect(started).toBe(2);
    await expect(worker.start()).rejects.toMatchObject({ code: "CLOSED" });
  });

  test("a job still running at shutdownTimeoutMs is aborted, released with attempts unchanged, and runs later elsewhere", async () => {
    const queue = h.queue();
    const started = deferred();
    let abortReason: unknown;
    const first = h.worker(
      queue.name,
      {
        report: async (_args, ctx) => {
          started.resolve();
          await new Promise((resolve) => ctx.signal.addEventListener("abort", resolve));
          abortReason = ctx.signal.reason;
          return "first worker";
        },
      },
      { shutdownTimeoutMs: 300 },
    );
    await first.start();
    const job = await queue.enqueue("report", ["monthly"], { maxRetries: 0 });
    await started.promise;
    await first.close();
    expect(isTqError(abortReason) && abortReason.code).toBe("CLOSED");
    const released = await queue.getJob(job.id);
    expect(released).toMatchObject({ status: "pending", attempts: 0 });
    expect(released!.errors).toBeUndefined();

    const second = h.worker(queue.name, {
      report: async (_args, ctx) => `second worker, run ${ctx.attempt}`,
    });
    await second.start();
    expect(await queue.waitForResult(job.id, { timeoutMs: 30_000 })).toBe("second worker, run 1");
    expect(await queue.getJob(job.id)).toMatchObject({ status: "completed", attempts: 1 });
  });

  test("close({ timeoutMs: 0 }) hands running jobs back at once", async () => {
    const queue = h.queue();
    const started = deferred();
    const worker = h.worker(
      queue.name,
      {
        t: async () => {
          started.resolve();
          await sleep(60_000);
        },
      },
      { shutdownTimeoutMs: 120_000 },
    );
    await worker.start();
    const job = await queue.enqueue("t", []);
    await started.promise;
    await worker.close({ timeoutMs: 0 });
    expect(await queue.getJob(job.id)).toMatchObject({ status: "pending", attempts: 0 });
  });

  test("an idle worker closes without waiting out its blocking read", async () => {
    const queue = h.queue();
    const worker = h.worker(queue.name, { t: async () => 1 }, { maxBlockMs: 120_000 });
    await worker.start();
    const job = await queue.enqueue("t", []);
    await queue.waitForResult(job.id, { timeoutMs: 20_000 });
    await sleep(50);
    // maxBlockMs is longer than the test timeout: only an unblocked read lets close() finish in time
    await worker.close();
    expect(worker.isRunning).toBe(false);
  });

  test("a worker given an existing client uses it and leaves it open", async () => {
    const queue = h.queue();
    const client = testClient(h.url);
    client.on("error", () => {});
    await client.connect();
    const worker = new Worker(
      queue.name,
      { t: async () => "ok" },
      { connection: client, logger: quietLogger() },
    );
    await worker.start();
    const job = await queue.enqueue("t", []);
    expect(await queue.waitForResult(job.id, { timeoutMs: 20_000 })).toBe("ok");
    await worker.close();
    expect(client.isOpen).toBe(true);
    expect(await client.ping()).toBe("PONG");
    await client.close();
  });

  test("a worker pointed at a port where nothing listens fails to start with CONNECTION", {
    timeout: 60_000,
  }, async () => {
    const worker = new Worker(
      "nowhere",
      { t: async () => 1 },
      { connection: "redis://127.0.0.1:1", logger: quietLogger() },
    );
    await expect(worker.start()).rejects.toMatchObject({ code: "CONNECTION" });
  });
});
