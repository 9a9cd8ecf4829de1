import { describe, expect, inject, test } from "vitest";
import type { JobContext, WorkerJob } from "../src/index.js";
import { deferred, Harness } from "./helpers.js";

const h = new Harness(inject("redisUrl"));

describe("the original tutorial", () => {
  test("runs send_email, resize_image and generate_report end to end, in the order they were enqueued", async () => {
    const queue = h.queue();
    const log: string[] = [];
    const worker = h.worker(queue.name, {
      send_email: async ([to, subject]: [string, string]) => {
        log.push(`Sending email to ${to}: ${subject}`);
        return { delivered: true };
      },
      resize_image: async ([path, width, height]: [string, number, number]) => {
        log.push(`Resizing ${path} to ${width}x${height}`);
        return { path, width, height };
      },
      generate_report: async ([type, period]: [string, string]) => {
        log.push(`Generating ${type} report for ${period}`);
        return `${type}-${period}.pdf`;
      },
    });
    worker.on("completed", (job) => log.push(`Completed job ${job.id}`));
    await worker.start();

    const a = await queue.enqueue("send_email", ["user@example.com", "Welcome!"]);
    const b = await queue.enqueue("resize_image", ["/uploads/photo.jpg", 800, 600]);
    const c = await queue.enqueue("generate_report", ["monthly", "2026-06"]);
    expect(await queue.waitForResult(a.id, { timeoutMs: 20_000 })).toEqual({ delivered: true });
    expect(await queue.waitForResult(b.id, { timeoutMs: 20_000 })).toEqual({
      path: "/uploads/photo.jpg",
      width: 800,
      height: 600,
    });
    expect(await queue.waitForResult(c.id, { timeoutMs: 20_000 })).toBe("monthly-2026-06.pdf");
    expect(log).toEqual([
      "Sending email to user@example.com: Welcome!",
      `Completed job ${a.id}`,
      "Resizing /uploads/photo.jpg to 800x600",
      `Completed job ${b.id}`,
      "Generating monthly report for 2026-06",
      `Completed job ${c.id}`,
    ]);
    expect(await queue.counts()).toEqual({ scheduled: 0, pending: 0, active: 0, completed: 3, failed: 0 });
    for (const id of [a.id, b.id, c.id]) {
      const info = await queue.getJob(id);
      expect(info).toMatchObject({ status: "completed", attempts: 1 });
      expect(info!.finishedAt).toBeGreaterThanOrEqual(info!.startedAt!);
    }
    expect(worker.errors).toEqual([]);
  });
});

describe("handler context and events", () => {
  test("ctx carries the job's id, task, attempt, priority and an unaborted signal", async () => {
    const queue = h.queue();
    let seen: Omit<JobContext, "logger" | "progress" | "rateLimit"> | undefined;
    const worker = h.worker(queue.name, {
      // destructured, as handlers often take it
      t: async (_args, { jobId, queue, task, attempt, maxRetries, priority, signal, progress }) => {
        seen = { jobId, queue, task, attempt, maxRetries, priority, signal };
        await progress({ step: 1 });
        return null;
      },
    });
    await worker.start();
    const job = await queue.enqueue("t", [], { priority: "low", maxRetries: 7 });
    await queue.waitForResult(job.id, { timeoutMs: 20_000 });
    expect(seen).toMatchObject({
      jobId: job.id,
      queue: queue.name,
      task: "t",
      attempt: 1,
      maxRetries: 7,
      priority: "low",
    });
    expect(seen!.signal.aborted).toBe(false);
    expect((await queue.getJob(job.id))?.progress).toEqual({ step: 1 });
  });

  test("a signal first read after its run timed out is already aborted, with the TIMEOUT error", async () => {
    const queue = h.queue();
    const late = deferred<{ aborted: boolean; code: unknown }>();
    const worker = h.worker(queue.name, {
      t: async (_args, ctx) => {
        await new Promise((resolve) => setTimeout(resolve, 300));
        late.resolve({ aborted: ctx.signal.aborted, code: (ctx.signal.reason as { code?: unknown })?.code });
      },
    });
    await worker.start();
    await queue.enqueue("t", [], { timeoutMs: 20, maxRetries: 0 });
    expect(await late.promise).toEqual({ aborted: true, code: "TIMEOUT" });
  });

  test("emits active, completed, retrying and failed with the job", async () => {
    const queue = h.queue();
    const events: string[] = [];
    const worker = h.worker(queue.name, {
      ok: async ([n]: [number]) => n * 2,
      flaky: async (_args, ctx) => {
        if (ctx.attempt === 1) throw new Error("first run fails");
        return "second run";
      },
      broken: async () => {
        throw new Error("always fails");
      },
    });
    const describeJob = (job: WorkerJob) => `${job.task}#${job.attempt}`;
    worker.on("active", (job) => events.push(`active ${describeJob(job)}`));
    worker.on("completed", (job, result) =>
      events.push(`completed ${describeJob(job)} ${JSON.stringify(result)}`),
    );
    worker.on("retrying", (job, error, delayMs) =>
      events.push(`retrying ${describeJob(job)} ${error.message} ${delayMs}`),
    );
    worker.on("failed", (job, error) => events.push(`failed ${describeJob(job)} ${error.message}`));
    await worker.start();

    const ok = await queue.enqueue("ok", [21]);
    expect(await queue.waitForResult(ok.id, { timeoutMs: 20_000 })).toBe(42);
    const flaky = await queue.enqueue("flaky", [], { backoff: { type: "fixed", delayMs: 20 } });
    expect(await queue.waitForResult(flaky.id, { timeoutMs: 20_000 })).toBe("second run");
    const broken = await queue.enqueue("broken", [], { maxRetries: 0 });
    await expect(queue.waitForResult(broken.id, { timeoutMs: 20_000 })).rejects.toMatchObject({
      code: "JOB_FAILED",
    });
    // the event for the last ack is emitted once its reply is in: allow for that round trip
    await expect.poll(() => events.length, { timeout: 10_000 }).toBe(8);
    expect(events).toEqual([
      "active ok#1",
      "completed ok#1 42",
      "active flaky#1",
      "retrying flaky#1 first run fails 20",
      "active flaky#2",
      'completed flaky#2 "second run"',
      "active broken#1",
      "failed broken#1 always fails",
    ]);
  });

  test("ctx.progress is visible in getJob while the job runs", async () => {
    const queue = h.queue();
    const reported = deferred();
    const release = deferred();
    const worker = h.worker(queue.name, {
      resize_image: async (_args, ctx) => {
        await ctx.progress(50);
        await ctx.progress({ done: 3, of: 4 });
        reported.resolve();
        await release.promise;
        return "done";
      },
    });
    await worker.start();
    const job = await queue.enqueue("resize_image", ["/p.jpg", 800, 600]);
    await reported.promise;
    expect(await queue.getJob(job.id)).toMatchObject({ status: "active", progress: { done: 3, of: 4 } });
    release.resolve();
    expect(await queue.waitForResult(job.id, { timeoutMs: 20_000 })).toBe("done");
    expect((await queue.getJob(job.id))?.progress).toEqual({ done: 3, of: 4 });
  });
});

describe("unknown tasks", () => {
  test("fail at once with a message naming the task and the known tasks; the worker keeps going", async () => {
    const queue = h.queue();
    const worker = h.worker(queue.name, {
      send_email: async () => "sent",
      resize_image: async () => "resized",
    });
    const failed: string[] = [];
    worker.on("failed", (job) => failed.push(job.id));
    await worker.start();
    const unknown = await queue.enqueue("transcode_video", ["/v.mp4"], { maxRetries: 5 });
    const after = await queue.enqueue("send_email", ["user@example.com", "Hi"]);
    await expect(queue.waitForResult(unknown.id, { timeoutMs: 20_000 })).rejects.toMatchObject({
      code: "JOB_FAILED",
    });
    expect(await queue.waitForResult(after.id, { timeoutMs: 20_000 })).toBe("sent");
    const info = await queue.getJob(unknown.id);
    expect(info).toMatchObject({ status: "failed", attempts: 1 });
    expect(info?.errors).toHaveLength(1);
    expect(info?.error?.code).toBe("UNKNOWN_TASK");
    expect(info?.error?.message).toContain('"transcode_video"');
    expect(info?.error?.message).toContain('"send_email", "resize_image"');
    expect(failed).toEqual([unknown.id]);
    expect(worker.isRunning).toBe(true);
  });
});
