import { onCluster, sleep, startRedis, uniqueQueue, waitFor } from "@tq/testing";
import { describe, expect, inject, test } from "vitest";
import { Queue } from "../src/index.js";
import { Cleanup, claimAndFinish, errorJson, type RawClient, rawClient, rejection, take } from "./helpers.js";

const connection = inject("redisUrl");
const cleanup = new Cleanup();

function newQueue(): Queue {
  return cleanup.queue(new Queue(uniqueQueue("wait"), { connection }));
}

/** Resolves once `promise` has settled, or with "pending" if it has not by the next macrotask. */
async function state(promise: Promise<unknown>): Promise<"pending" | "settled"> {
  let settled = false;
  promise.then(
    () => (settled = true),
    () => (settled = true),
  );
  await new Promise((resolve) => setImmediate(resolve));
  return settled ? "settled" : "pending";
}

describe("waitForResult", () => {
  test("resolves with the handler's result once the job completes", async () => {
    const queue = newQueue();
    const job = await queue.enqueue("send_email", ["user@example.com", "Welcome!"]);
    const waiting = queue.waitForResult(job.id, { timeoutMs: 20_000 });
    expect(await state(waiting)).toBe("pending");
    await claimAndFinish(queue, [job.id], () => ({ op: "c", payload: '{"delivered":true}' }));
    expect(await waiting).toEqual({ delivered: true });
  });

  test("resolves undefined for a handler that returned nothing", async () => {
    const queue = newQueue();
    const job = await queue.enqueue("t", []);
    const waiting = queue.waitForResult(job.id, { timeoutMs: 20_000 });
    await claimAndFinish(queue, [job.id], () => ({ op: "c", payload: "" }));
    expect(await waiting).toBeUndefined();
  });

  test("rejects with JOB_FAILED whose cause is the recorded error", async () => {
    const queue = newQueue();
    const job = await queue.enqueue("send_email", ["user@example.com", "Hi"], { maxRetries: 0 });
    const waiting = rejection(queue.waitForResult(job.id, { timeoutMs: 20_000 }));
    await claimAndFinish(queue, [job.id], () => ({ op: "f", payload: errorJson("smtp down"), delayMs: -1 }));
    const error = await waiting;
    expect(error.code).toBe("JOB_FAILED");
    expect(error.message).toContain(job.id);
    expect(error.message).toContain("send_email");
    expect(error.message).toContain("smtp down");
    expect(error.cause).toEqual({ name: "Error", message: "smtp down", attempt: 1 });
  });

  test("keeps waiting through a retry and resolves when a later run completes", async () => {
    const queue = newQueue();
    const job = await queue.enqueue("t", [], { maxRetries: 2 });
    const waiting = queue.waitForResult(job.id, { timeoutMs: 20_000 });
    expect(
      await claimAndFinish(queue, [job.id], () => ({ op: "f", payload: errorJson("flaky"), delayMs: 0 })),
    ).toBe("r");
    expect(await state(waiting)).toBe("pending");
    await claimAndFinish(queue, [job.id], (c) => ({ op: "c", payload: String(c.attempt) }));
    expect(await waiting).toBe(2);
  });

  test("rejects with TIMEOUT when the job has not finished in time", async () => {
    const queue = newQueue();
    const job = await queue.enqueue("t", []);
    const error = await rejection(queue.waitForResult(job.id, { timeoutMs: 200 }));
    expect(error.code).toBe("TIMEOUT");
    expect(error.message).toContain(job.id);
    expect(await queue.getJob(job.id)).toMatchObject({ status: "pending" });
  });

  test("rejects with NOT_FOUND for a job that does not exist", async () => {
    const queue = newQueue();
    const error = await rejection(queue.waitForResult("no-such-job", { timeoutMs: 20_000 }));
    expect(error.code).toBe("NOT_FOUND");
    expect(error.message).toContain("no-such-job");
  });

  test("rejects with NOT_FOUND, not TIMEOUT, when the awaited job is cancelled", async () => {
    const queue = newQueue();
    const job = await queue.enqueue("t", [], { delayMs: 60_000 });
    const waiting = queue.waitForResult(job.id, { timeoutMs: 20_000 });
    expect(await state(waiting)).toBe("pending");
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(await queue.cancel(job.id)).toBe(true);
    const error = await rejection(waiting);
    expect(error.code).toBe("NOT_FOUND");
  });

  test("a waiter registered after the job finished gets the result at once", async () => {
    const queue = newQueue();
    const ok = await queue.enqueue("t", []);
    const bad = await queue.enqueue("t", []);
    await claimAndFinish(queue, [ok.id, bad.id], (c) =>
      c.id === ok.id ? { op: "c", payload: '"done"' } : { op: "f", payload: errorJson("no"), delayMs: -1 },
    );
    expect(await queue.waitForResult(ok.id, { timeoutMs: 20_000 })).toBe("done");
    expect((await rejection(queue.waitForResult(bad.id, { timeoutMs: 20_000 }))).code).toBe("JOB_FAILED");
  });

  test("many concurrent waiters, several per job, each get their job's result", async () => {
    const queue = newQueue();
    const jobs = await queue.enqueueMany(Array.from({ length: 40 }, (_, i) => ({ task: "t", args: [i] })));
    const waiters = jobs.flatMap((job, i) =>
      Array.from({ length: 5 }, () =>
        queue.waitForResult(job.id, { timeoutMs: 30_000 }).then((result) => ({ i, result })),
      ),
    );
    const { claimed } = await take(queue, 40);
    const index = new Map(jobs.map((j, i) => [j.id, i]));
    await take(
      queue,
      0,
      claimed.map((c) => ({
        id: c.id,
        token: c.token,
        op: "c" as const,
        payload: String(index.get(c.id)! * 10),
      })),
    );
    const results = await Promise.all(waiters);
    expect(results).toHaveLength(200);
    for (const { i, result } of results) expect(result).toBe(i * 10);
  });

  test("waiters on separate queues of the same name each see the result", async () => {
    const name = uniqueQueue("wait");
    const producer = cleanup.queue(new Queue(name, { connection }));
    const observer = cleanup.queue(new Queue(name, { connection }));
    const job = await producer.enqueue("t", []);
    const a = producer.waitForResult(job.id, { timeoutMs: 20_000 });
    const b = observer.waitForResult(job.id, { timeoutMs: 20_000 });
    await claimAndFinish(producer, [job.id], () => ({ op: "c", payload: "1" }));
    expect(await Promise.all([a, b])).toEqual([1, 1]);
  });

  test("closing the queue rejects its waiters with CLOSED", async () => {
    const queue = new Queue(uniqueQueue("wait"), { connection });
    const job = await queue.enqueue("t", []);
    const waiting = rejection(queue.waitForResult(job.id, { timeoutMs: 20_000 }));
    await queue.close();
    expect((await waiting).code).toBe("CLOSED");
    expect((await rejection(queue.enqueue("t", []))).code).toBe("CLOSED");
  });

  test("timeoutMs: Infinity waits without a timer until the job finishes", async () => {
    const queue = newQueue();
    const job = await queue.enqueue("t", []);
    const waiting = queue.waitForResult(job.id, { timeoutMs: Number.POSITIVE_INFINITY });
    // a timer of Infinity would fire after 1 ms
    await sleep(100);
    expect(await state(waiting)).toBe("pending");
    await claimAndFinish(queue, [job.id], () => ({ op: "c", payload: '"late"' }));
    expect(await waiting).toBe("late");
  });

  test.each([2 ** 31, 30 * 24 * 3_600_000, -1, Number.NaN, Number.NEGATIVE_INFINITY])(
    "timeoutMs %s is refused with VALIDATION (a timer would fire at once)",
    async (timeoutMs) => {
      const queue = newQueue();
      const job = await queue.enqueue("t", []);
      const error = await rejection(queue.waitForResult(job.id, { timeoutMs }));
      expect(error.code).toBe("VALIDATION");
      expect(error.message).toContain("timeoutMs");
      expect(error.message).toContain("Infinity");
    },
  );

  test("ids in messages are quoted: a control character cannot forge a line", async () => {
    const queue = newQueue();
    const error = await rejection(queue.waitForResult("evil\n[tq] job 1 completed", { timeoutMs: 1_000 }));
    expect(error.code).toBe("NOT_FOUND");
    expect(error.message).toContain('"evil\\n[tq] job 1 completed"');
    expect(error.message).not.toContain("\n");
  });
});

/** Calls per command since the last CONFIG RESETSTAT, from INFO commandstats. */
async function commandCalls(raw: RawClient): Promise<Record<string, number>> {
  const info = await raw.info("commandstats");
  const calls: Record<string, number> = {};
  for (const [, name, n] of info.matchAll(/^cmdstat_([a-z|]+):calls=(\d+)/gm))
    calls[name as string] = Number(n);
  return calls;
}

// a standalone server of its own (CONFIG RESETSTAT, INFO commandstats, CLIENT KILL): counts one server's commands
describe.skipIf(onCluster())("waitForResult reads", () => {
  test("one state read per job id however many wait for it, a full record only for finished jobs, also after a reconnect", {
    timeout: 60_000,
  }, async () => {
    const server = await startRedis();
    cleanup.add(() => server.stop());
    const queue = cleanup.queue(new Queue(uniqueQueue("reads"), { connection: server.url }));
    const raw = await rawClient(server.url, cleanup);
    const jobs = await queue.enqueueMany(Array.from({ length: 500 }, (_, i) => ({ task: "t", args: [i] })));
    const done = jobs.slice(0, 10).map((j) => j.id);
    await claimAndFinish(queue, done, () => ({ op: "c", payload: '"early"' }), server.url);
    const index = new Map(jobs.map((j, i) => [j.id, i]));

    await raw.configResetStat();
    const waiters = jobs.flatMap((job) =>
      Array.from({ length: 4 }, () => queue.waitForResult(job.id, { timeoutMs: 60_000 })),
    );
    expect(await Promise.all(waiters.slice(0, 40))).toEqual(Array(40).fill("early"));
    await waitFor(async () => ((await commandCalls(raw)).hget ?? 0) >= 500, { what: "the first reads" });
    let calls = await commandCalls(raw);
    // 2,000 waiters on 500 jobs: 500 HGETs of the state, 10 full records (the finished jobs)
    expect(calls.hget).toBe(500);
    expect(calls.hmget).toBe(10);

    // A reconnect of the event reader makes every job be looked at again: once per job id, state only.
    await raw.configResetStat();
    await raw.sendCommand(["CLIENT", "KILL", "TYPE", "normal", "SKIPME", "yes"]);
    await waitFor(async () => ((await commandCalls(raw)).hget ?? 0) >= 490, {
      what: "the reads after the gap",
    });
    calls = await commandCalls(raw);
    expect(calls.hget).toBe(490);
    expect(calls.hmget).toBeUndefined();

    const rest = jobs.slice(10).map((j) => j.id);
    await claimAndFinish(queue, rest, (c) => ({ op: "c", payload: String(index.get(c.id)) }), server.url);
    const results = await Promise.all(waiters);
    results.forEach((result, n) => {
      const i = Math.floor(n / 4);
      expect(result).toBe(i < 10 ? "early" : i);
    });
  });
});
