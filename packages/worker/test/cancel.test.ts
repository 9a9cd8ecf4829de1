import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type JobInfo, Queue } from "@tq/client";
import { isTqError, TqError } from "@tq/job-schema";
import { cancel as cancelScript, queueKeys } from "@tq/protocol";
import { onCluster, type RedisServer, startRedis, testClient, waitFor } from "@tq/testing";
import { createClient } from "redis";
import { afterAll, afterEach, beforeAll, describe, expect, inject, test } from "vitest";
import { Worker } from "../src/index.js";
import { type Deferred, deferred, Harness, keysOf } from "./helpers.js";
import { setupPool } from "./pool-helpers.js";

const h = new Harness(inject("redisUrl"));

/** What a handler saw of its signal: when it aborted (Date.now()) and why. */
interface Aborted {
  at: number;
  reason: unknown;
}

/** A handler that runs until its signal aborts, and records when and why. */
function untilAborted(started: Deferred<string>, aborted: Map<string, Aborted>) {
  return async (_args: unknown, ctx: { jobId: string; signal: AbortSignal }) => {
    started.resolve(ctx.jobId);
    await new Promise<void>((resolve) => {
      ctx.signal.addEventListener(
        "abort",
        () => {
          aborted.set(ctx.jobId, { at: Date.now(), reason: ctx.signal.reason });
          resolve();
        },
        { once: true },
      );
    });
    return "after abort";
  };
}

/** A worker's `failed` events, kept. */
function failures(worker: Worker) {
  const seen: Array<{ id: string; error: Error }> = [];
  worker.on("failed", (job, error) => void seen.push({ id: job.id, error }));
  return seen;
}

/** A worker's `failed` events and the ids of the jobs it completed, kept. */
function outcomes(worker: Worker) {
  const completed: string[] = [];
  worker.on("completed", (job) => void completed.push(job.id));
  return { failed: failures(worker), completed };
}

function expectCancelled(info: JobInfo | null, attempt = 1) {
  expect(info).toMatchObject({
    status: "failed",
    attempts: attempt,
    error: { name: "TqError", code: "CANCELLED", message: `cancelled while running (attempt ${attempt})` },
  });
}

describe("cancelling a running job (in-process Worker)", () => {
  test("aborts ctx.signal within a second, fails the job with CANCELLED without retry, and frees the slot", async () => {
    const queue = h.queue();
    const started = deferred<string>();
    const aborted = new Map<string, Aborted>();
    const worker = h.worker(
      queue.name,
      { long: untilAborted(started, aborted), quick: async ([n]: [number]) => n * 2 },
      { concurrency: 1 },
    );
    const { failed, completed } = outcomes(worker);
    await worker.start();

    const job = await queue.enqueue("long", [], { maxRetries: 5 });
    await started.promise;
    expect(worker.activeCount).toBe(1);
    const cancelledAt = Date.now();
    expect(await queue.cancel(job.id)).toBe(true);
    const seen = await waitFor(() => aborted.get(job.id), { what: "the handler's signal to abort" });
    expect(seen.at - cancelledAt).toBeLessThan(1_000);
    expect(isTqError(seen.reason) && (seen.reason as TqError).code).toBe("CANCELLED");

    // failed in Redis at once, no retry although it has five left
    expectCancelled(await queue.getJob(job.id));
    expect((await queue.getJob(job.id))?.errors).toHaveLength(1);
    expect(await queue.counts()).toMatchObject({ active: 0, pending: 0, scheduled: 0, failed: 1 });
    // the worker says so once, and runs the next job in the freed slot
    expect(failed).toHaveLength(1);
    expect(failed[0]).toMatchObject({ id: job.id, error: { code: "CANCELLED" } });
    expect(worker.activeCount).toBe(0);
    const next = await queue.enqueue("quick", [21]);
    expect(await queue.waitForResult(next.id, { timeoutMs: 10_000 })).toBe(42);
    expectCancelled(await queue.getJob(job.id));
    expect(completed).toEqual([next.id]);
    expect(failed).toHaveLength(1);
    expect(worker.errors).toEqual([]);
  });

  test("a handler that ignores its signal and returns later does not change the job (fencing)", async () => {
    const queue = h.queue();
    const started = deferred<string>();
    const release = deferred();
    const returned = deferred();
    const worker = h.worker(
      queue.name,
      {
        stubborn: async () => {
          started.resolve("");
          await release.promise;
          returned.resolve();
          return { late: true };
        },
        quick: async () => "quick",
      },
      { concurrency: 1 },
    );
    const { failed, completed } = outcomes(worker);
    await worker.start();

    const job = await queue.enqueue("stubborn", [], { maxRetries: 5 });
    await started.promise;
    expect(await queue.cancel(job.id)).toBe(true);
    const k = keysOf(queue);
    const raw = await h.raw();
    const record = await raw.hGetAll(k.job(job.id));
    expect(record.state).toBe("failed");
    // the slot is free although the handler has not returned: another job runs meanwhile
    await waitFor(() => worker.activeCount === 0, { what: "the cancelled run to leave its slot" });
    const during = await queue.enqueue("quick", []);
    expect(await queue.waitForResult(during.id, { timeoutMs: 10_000 })).toBe("quick");

    release.resolve();
    await returned.promise;
    // any ack of the late run would go out with the worker's next call, before the next job's completion
    const after = await queue.enqueue("quick", []);
    expect(await queue.waitForResult(after.id, { timeoutMs: 10_000 })).toBe("quick");
    expect(await raw.hGetAll(k.job(job.id))).toEqual(record);
    expectCancelled(await queue.getJob(job.id));
    expect((await queue.getJob(job.id))?.result).toBeUndefined();
    expect(completed).toEqual([during.id, after.id]);
    expect(failed.map((f) => f.id)).toEqual([job.id]);
    expect(worker.errors).toEqual([]);
  });

  test("cancel of a pending job still removes it; a finished one throws INVALID_STATE", async () => {
    const queue = h.queue();
    const pending = await queue.enqueue("quick", []);
    expect(await queue.cancel(pending.id)).toBe(true);
    expect(await queue.getJob(pending.id)).toBeNull();

    const worker = h.worker(queue.name, { quick: async () => "done" });
    await worker.start();
    const done = await queue.enqueue("quick", []);
    expect(await queue.waitForResult(done.id, { timeoutMs: 10_000 })).toBe("done");
    const refused = await queue.cancel(done.id).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(TqError);
    expect(refused).toMatchObject({
      code: "INVALID_STATE",
      message: expect.stringContaining("is completed"),
    });
    expect(await queue.getJob(done.id)).toMatchObject({ status: "completed", result: "done" });
  });

  test("a malformed id returns false without touching Redis", async () => {
    // a client that was never connected: the first command would fail with CONNECTION
    const queue = new Queue("cancel-offline", { connection: testClient(h.url) });
    try {
      for (const id of ["", "has space", "a{b}", "x".repeat(201)]) expect(await queue.cancel(id)).toBe(false);
      await expect(queue.cancel("well-formed")).rejects.toMatchObject({ code: "CONNECTION" });
    } finally {
      await queue.close();
    }
  });
});

// a standalone server of its own (CLIENT KILL TYPE pubsub): nothing of it depends on the project's topology
describe.skipIf(onCluster())("cancel messages missed by the worker", () => {
  let server: RedisServer;
  beforeAll(async () => {
    // its own Redis: CLIENT KILL TYPE pubsub must not reach other tests' workers
    server = await startRedis();
  });
  afterAll(async () => {
    await server?.stop();
  });

  test("with the subscriber connection killed as the job is cancelled, the lease renewal ends the run", async () => {
    const queue = new Queue(`cancel-missed`, { connection: server.url });
    const started = deferred<string>();
    const aborted = new Map<string, Aborted>();
    const worker = new Worker(
      queue.name,
      { long: untilAborted(started, aborted) },
      {
        connection: server.url,
        leaseMs: 1_500,
        concurrency: 2,
        logger: { debug() {}, info() {}, warn() {}, error() {} },
      },
    );
    const errors: Error[] = [];
    worker.on("error", (error) => void errors.push(error));
    const failed = failures(worker);
    const raw = createClient({ url: server.url });
    raw.on("error", () => {});
    await raw.connect();
    try {
      await worker.start();
      const job = await queue.enqueue("long", [], { maxRetries: 5 });
      await started.promise;
      const k = queueKeys(queue.name, queue.prefix);
      // One transaction: the subscriber is dropped, then the job is cancelled; the message reaches no one.
      const replies = await raw
        .multi()
        .addCommand(["CLIENT", "KILL", "TYPE", "pubsub"])
        .addCommand([
          "EVAL",
          cancelScript.source,
          String(cancelScript.numKeys),
          ...cancelScript.keys(k, { id: job.id }),
          ...cancelScript.args({ id: job.id }),
        ])
        .exec();
      expect(replies).toEqual([1, 2]);
      const seen = await waitFor(() => aborted.get(job.id), {
        timeoutMs: 20_000,
        what: "the renewal to abort the run",
      });
      expect((seen.reason as TqError).code).toBe("CANCELLED");
      expectCancelled(await queue.getJob(job.id));
      expect(failed.map((f) => [f.id, (f.error as TqError).code])).toEqual([[job.id, "CANCELLED"]]);
      expect(worker.activeCount).toBe(0);

      // the subscriber is back: the next cancel arrives within a second again
      await waitFor(
        async () =>
          Number(((await raw.sendCommand(["PUBSUB", "NUMSUB", k.cancelChannel])) as [string, number])[1]) ===
          1,
        {
          what: "the subscriber to subscribe again",
        },
      );
      const second = deferred<string>();
      const nextAborted = new Map<string, Aborted>();
      worker.handle("long2", untilAborted(second, nextAborted));
      const next = await queue.enqueue("long2", []);
      await second.promise;
      const cancelledAt = Date.now();
      expect(await queue.cancel(next.id)).toBe(true);
      const again = await waitFor(() => nextAborted.get(next.id));
      expect(again.at - cancelledAt).toBeLessThan(1_000);
      expect(errors.filter((e) => !isTqError(e) || e.code !== "CONNECTION")).toEqual([]);
    } finally {
      await worker.close({ timeoutMs: 0 });
      await queue.close();
      await raw.close();
    }
  });
});

describe("cancelling a job running in a WorkerPool child", () => {
  const cleanup: Array<() => Promise<unknown>> = [];
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), "tq-cancel-"));
  });
  afterEach(async () => {
    while (cleanup.length) await cleanup.pop()?.();
  });
  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  test("the child's handler sees its signal abort within a second, and the child takes the next job", async () => {
    const { producer, pool, exits } = setupPool("cancel", cleanup, { processes: 2, concurrency: 1 });
    await pool.start();
    const pids = pool.pids;
    const runningPid = async (id: string): Promise<number> => {
      const info = await waitFor(
        async () => {
          const job = (await producer.getJob(id)) as (JobInfo & { progress?: { pid?: number } }) | null;
          return job?.status === "active" && job.progress?.pid ? job.progress.pid : null;
        },
        { timeoutMs: 30_000, what: `job ${id} running` },
      );
      return info;
    };
    const fileA = join(dir, "a.json");
    const fileB = join(dir, "b.json");
    const a = await producer.enqueue("untilAborted", [fileA], { maxRetries: 5 });
    const b = await producer.enqueue("untilAborted", [fileB]);
    const pidA = await runningPid(a.id);
    const pidB = await runningPid(b.id);
    expect(new Set([pidA, pidB]).size).toBe(2);

    const cancelledAt = Date.now();
    expect(await producer.cancel(a.id)).toBe(true);
    const seen = await waitFor(
      () => {
        try {
          return JSON.parse(readFileSync(fileA, "utf8")) as { pid: number; at: number; code?: string };
        } catch {
          return null;
        }
      },
      { what: "the child's handler to see its signal abort" },
    );
    expect(seen.pid).toBe(pidA);
    expect(seen.code).toBe("CANCELLED");
    expect(seen.at - cancelledAt).toBeLessThan(1_000);
    expectCancelled(await producer.getJob(a.id));

    // the other child is busy with b: the next job can only run in the child that ran a, which is still there
    const next = await producer.enqueue("pid", []);
    expect(await producer.waitForResult(next.id, { timeoutMs: 30_000 })).toEqual({ pid: pidA });
    expect(pool.pids).toEqual(pids);
    expect(exits).toEqual([]);
    expectCancelled(await producer.getJob(a.id));
    expect(await producer.getJob(b.id)).toMatchObject({ status: "active" });
  });
});
