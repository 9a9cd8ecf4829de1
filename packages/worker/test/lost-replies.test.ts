import { isTqError } from "@tq/job-schema";
import { take } from "@tq/protocol";
import { onCluster, waitFor } from "@tq/testing";
import { afterEach, describe, expect, inject, test } from "vitest";
import { type Handlers, Worker } from "../src/index.js";
import { deferred, Harness, keysOf, quietLogger } from "./helpers.js";
import { LossyProxy } from "./lossy-proxy.js";

const h = new Harness(inject("redisUrl"));

const cleanup: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  while (cleanup.length > 0) await cleanup.pop()?.();
});

/** A started worker that reaches Redis through a proxy that can lose a reply, and what it reported. */
async function workerBehindProxy(queue: string, handlers: Handlers) {
  const proxy = await LossyProxy.start(h.url);
  cleanup.push(() => proxy.close());
  const worker = new Worker(queue, handlers, {
    connection: proxy.url,
    logger: quietLogger(),
    concurrency: 4,
    // far longer than any test here may take: nothing may wait for a lease to expire
    leaseMs: 600_000,
  });
  const completed: string[] = [];
  const errors: Error[] = [];
  worker.on("completed", (job) => completed.push(job.id));
  worker.on("error", (error) => errors.push(error));
  cleanup.push(() => worker.close({ timeoutMs: 0 }));
  await worker.start();
  return { proxy, worker, completed, errors };
}

const codes = (errors: Error[]) => errors.map((e) => (isTqError(e) ? e.code : e.message));

// The lossy proxy stands in front of one port: a cluster client would follow MOVED replies past it to the real nodes.
describe.skipIf(onCluster())("replies lost with the connection", () => {
  test("an ack applied by a call whose reply was lost is reported once, as what it did", async () => {
    const queue = h.queue();
    const raw = await h.raw();
    const finish = deferred();
    const { proxy, completed, errors } = await workerBehindProxy(queue.name, {
      work: async ([n]: [number]) => {
        await finish.promise;
        return n * 10;
      },
    });
    const job = await queue.enqueue("work", [1]);
    await waitFor(async () => (await queue.getJob(job.id))?.status === "active", { what: "the claim" });
    // The call carrying this job's ack reaches Redis; its reply is held back until Redis shows the job completed,
    // then the connection is cut: the worker does not know whether the ack was applied.
    const cut = proxy.onRequest((sent) => sent.includes(take.sha1) && sent.includes(job.id));
    finish.resolve();
    const drop = await cut;
    await waitFor(async () => (await raw.hGet(keysOf(queue).job(job.id), "state")) === "completed", {
      what: "the ack applied in Redis",
    });
    drop();

    await waitFor(() => completed.includes(job.id), { what: "the completed event" });
    const later = await queue.enqueue("work", [2]);
    expect(await queue.waitForResult(later.id, { timeoutMs: 20_000 })).toBe(20);
    expect(completed.filter((id) => id === job.id)).toHaveLength(1);
    expect(codes(errors)).toContain("CONNECTION");
    expect(codes(errors)).not.toContain("LEASE_LOST");
    expect(await queue.getJob(job.id)).toMatchObject({ status: "completed", result: 10, attempts: 1 });
  });

  test("jobs whose claim reply was lost are handed back at once, not one lease later", async () => {
    const queue = h.queue();
    const ran: string[] = [];
    const { proxy, worker, completed } = await workerBehindProxy(queue.name, {
      work: async ([n]: [number], ctx) => {
        ran.push(ctx.jobId);
        return n;
      },
    });
    const first = await queue.enqueue("work", [1]);
    // Cut the connection the moment the reply that claims the job arrives: Redis has applied the claim, the worker
    // never hears of it.
    const lost = proxy.onReply((reply) => reply.includes(first.id));
    const rest = await queue.enqueueMany([
      { task: "work", args: [2] },
      { task: "work", args: [3] },
    ]);
    await lost;

    for (const [i, job] of [first, ...rest].entries()) {
      // leaseMs is 600 s: only a hand-back lets these finish within the wait
      expect(await queue.waitForResult(job.id, { timeoutMs: 20_000 })).toBe(i + 1);
      const info = await queue.getJob(job.id);
      // the claim that was lost is not counted as a run, and no LEASE_LOST entry is recorded
      expect(info).toMatchObject({ status: "completed", attempts: 1 });
      expect(info?.errors).toBeUndefined();
    }
    expect(ran.filter((id) => id === first.id)).toHaveLength(1);
    expect(completed.filter((id) => id === first.id)).toHaveLength(1);
    expect(await queue.counts()).toMatchObject({ pending: 0, active: 0, completed: 3 });
    expect(worker.isRunning).toBe(true);
  });
});
