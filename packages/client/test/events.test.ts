import { RedisConnection } from "@tq/connection";
import { progress } from "@tq/protocol";
import { onCluster, startRedis, uniqueQueue, waitFor } from "@tq/testing";
import { describe, expect, inject, test } from "vitest";
import { Queue, type QueueEvent } from "../src/index.js";
import { Cleanup, keysOf, rawClient, rejection, TEST_WORKER_ID, take } from "./helpers.js";

const cleanup = new Cleanup();
const url = (): string => inject("redisUrl");

/** Runs `for await` over `queue.events(options)` in the background, collecting what it yields. */
function collect(queue: Queue, options: { from?: string; detail?: boolean } = {}) {
  const controller = new AbortController();
  const seen: QueueEvent[] = [];
  const done = (async () => {
    for await (const event of queue.events({ ...options, signal: controller.signal })) seen.push(event);
  })();
  cleanup.add(async () => {
    controller.abort();
    await done.catch(() => {});
  });
  return { seen, done, stop: () => controller.abort() };
}

const summary = (e: QueueEvent) => `${e.type} ${e.jobId}`;

/** Every kind of event, in order: enqueue, run, progress, retry, cancel, complete, stall, fail. */
async function lifeOfThreeJobs(queue: Queue, serverUrl?: string): Promise<void> {
  await queue.enqueue("work", ["a"], { jobId: "a", maxRetries: 2 });
  await queue.enqueue("work", ["b"], { jobId: "b" });
  await queue.enqueue("other", ["c"], { jobId: "c" });
  const [a1] = (await take(queue, 1, [], 30_000, serverUrl)).claimed;
  const side = await RedisConnection.open(serverUrl ?? url(), { onError: () => {} });
  await progress(side, keysOf(queue), { id: "a", token: a1?.token ?? "", value: '{"pct":50}', maxBytes: 0 });
  await side.close();
  const boom = JSON.stringify({ name: "Error", message: "boom", attempt: 1 });
  await take(
    queue,
    0,
    [{ id: "a", token: a1?.token ?? "", op: "f", payload: boom, delayMs: 0 }],
    30_000,
    serverUrl,
  );
  await queue.cancel("c");
  const [b] = (await take(queue, 1, [], 30_000, serverUrl)).claimed;
  await take(queue, 0, [{ id: "b", token: b?.token ?? "", op: "c", payload: '"ok"' }], 30_000, serverUrl);
  // a's second run gets a 1 ms lease and never renews it: the next take reclaims it
  await take(queue, 1, [], 1, serverUrl);
  await new Promise((resolve) => setTimeout(resolve, 10));
  await take(queue, 0, [], 30_000, serverUrl);
  const [a3] = (await take(queue, 1, [], 30_000, serverUrl)).claimed;
  await take(queue, 0, [{ id: "a", token: a3?.token ?? "", op: "f", payload: boom }], 30_000, serverUrl);
}

const EXPECTED = [
  "enqueued a",
  "enqueued b",
  "enqueued c",
  "started a",
  "progress a",
  "retrying a",
  "cancelled c",
  "started b",
  "completed b",
  "started a",
  "stalled a",
  "started a",
  "failed a",
];

describe("queue.events()", () => {
  test("every kind of event in order, with its detail; abort ends the loop", async () => {
    const queue = cleanup.queue(new Queue(uniqueQueue("events"), { connection: url() }));
    const events = collect(queue, { from: "0" });
    await lifeOfThreeJobs(queue);
    await waitFor(() => events.seen.length >= EXPECTED.length, { what: "every event" });
    expect(events.seen.map(summary)).toEqual(EXPECTED);
    const [, , c, a1, prog, retry, cancelled, , completed, a2, stalled, a3, failed] = events.seen;
    // the kinds written for every job carry ids (and the worker) only
    expect(c).toEqual({ id: expect.any(String), type: "enqueued", jobId: "c", at: expect.any(Number) });
    expect(a1).toEqual({
      id: expect.any(String),
      type: "started",
      jobId: "a",
      at: expect.any(Number),
      workerId: TEST_WORKER_ID,
    });
    expect(prog).toMatchObject({ task: "work", progress: { pct: 50 }, attempt: 1, workerId: TEST_WORKER_ID });
    expect(retry).toMatchObject({ attempt: 1, error: { name: "Error", message: "boom" } });
    expect(cancelled).toMatchObject({ task: "other" });
    expect(completed).toMatchObject({ type: "completed", jobId: "b", workerId: TEST_WORKER_ID });
    expect(completed?.task).toBeUndefined();
    expect(a2).toMatchObject({ type: "started", jobId: "a" });
    expect(stalled).toMatchObject({
      task: "work",
      attempt: 2,
      workerId: TEST_WORKER_ID,
      error: { code: "LEASE_LOST" },
    });
    expect(a3).toMatchObject({ type: "started", jobId: "a" });
    expect(failed).toMatchObject({ task: "work", attempt: 3, error: { message: "boom" } });
    for (const event of events.seen) expect(event.at).toBeGreaterThan(1_600_000_000_000);
    expect(new Set(events.seen.map((e) => e.id)).size).toBe(EXPECTED.length);

    events.stop();
    await events.done; // the loop leaves normally
  });

  test("from an event id yields exactly what came after it, also from inside one stream entry", async () => {
    const queue = cleanup.queue(new Queue(uniqueQueue("events"), { connection: url() }));
    await lifeOfThreeJobs(queue);
    const all = collect(queue, { from: "0" });
    await waitFor(() => all.seen.length >= EXPECTED.length, { what: "every event" });
    all.stop();
    for (const k of [0, 1, 5, EXPECTED.length - 1]) {
      const from = all.seen[k]?.id as string;
      const resumed = collect(queue, { from });
      const want = all.seen.slice(k + 1).map((e) => e.id);
      await waitFor(() => resumed.seen.length >= want.length, { what: `the events after ${from}` });
      expect(resumed.seen.map((e) => e.id)).toEqual(want);
      resumed.stop();
      await resumed.done;
    }
  });

  test("live by default; break ends the loop; a malformed from is refused", async () => {
    const queue = cleanup.queue(new Queue(uniqueQueue("events"), { connection: url() }));
    await queue.enqueue("old", [], { jobId: "before" });
    const iterator = queue.events();
    const first = iterator.next();
    await queue.enqueue("new", [], { jobId: "after" });
    expect((await first).value).toMatchObject({ type: "enqueued", jobId: "after" });
    for await (const event of queue.events({ from: "0" })) {
      expect(event.jobId).toBe("before");
      break;
    }
    await iterator.return(undefined);
    expect((await rejection(queue.events({ from: "nope" }).next())).code).toBe("VALIDATION");
  });

  test("detail: task and attempt of the hot kinds read from the job's record; none once it is gone", async () => {
    const queue = cleanup.queue(new Queue(uniqueQueue("events"), { connection: url() }));
    await queue.enqueue("work", ["x"], { jobId: "x" });
    await queue.enqueue("work", ["y"], { jobId: "y" });
    const [x] = (await take(queue, 1, [], 30_000)).claimed;
    await take(queue, 0, [{ id: "x", token: x?.token ?? "", op: "c", payload: "1" }], 30_000);
    await queue.cancel("y");
    const events = collect(queue, { from: "0", detail: true });
    await waitFor(() => events.seen.length >= 5, { what: "the events" });
    expect(events.seen.map(summary)).toEqual([
      "enqueued x",
      "enqueued y",
      "started x",
      "completed x",
      "cancelled y",
    ]);
    const [enqueued, enqueuedGone, started, completed] = events.seen;
    expect(enqueued).toEqual({
      id: expect.any(String),
      type: "enqueued",
      jobId: "x",
      at: expect.any(Number),
      task: "work",
    });
    expect(enqueuedGone?.task).toBeUndefined();
    expect(started).toMatchObject({ task: "work", attempt: 1, workerId: TEST_WORKER_ID });
    expect(completed).toMatchObject({ task: "work", attempt: 1, workerId: TEST_WORKER_ID });
  });

  // a standalone server of its own (CLIENT KILL of one connection): nothing of it depends on the project's topology
  test.skipIf(onCluster())(
    "survives a CLIENT KILL of its connection: resumes after the last event it yielded",
    async () => {
      const server = await startRedis();
      cleanup.add(() => server.stop());
      const queue = cleanup.queue(new Queue(uniqueQueue("events"), { connection: server.url }));
      const raw = await rawClient(server.url, cleanup);
      const events = collect(queue, { from: "0" });
      await queue.enqueue("t", [], { jobId: "one" });
      await waitFor(() => events.seen.length >= 1, { what: "the first event" });
      let killed = 0;
      await waitFor(
        async () => {
          const list = String(await raw.sendCommand(["CLIENT", "LIST"]));
          for (const line of list.split("\n")) {
            const id = /^id=(\d+) .*cmd=xread/.exec(line)?.[1];
            if (id) killed += Number(await raw.sendCommand(["CLIENT", "KILL", "ID", id]));
          }
          return killed > 0;
        },
        { what: "the iterator's blocked XREAD to kill" },
      );
      await queue.enqueue("t", [], { jobId: "two" });
      await queue.enqueue("t", [], { jobId: "three" });
      await waitFor(() => events.seen.length >= 3, { what: "the events after the kill" });
      expect(events.seen.map(summary)).toEqual(["enqueued one", "enqueued two", "enqueued three"]);
    },
  );

  test("says when it fell behind the cap: a gap event, then the oldest events kept", async () => {
    const queue = cleanup.queue(new Queue(uniqueQueue("events"), { connection: url() }));
    await queue.enqueue("t", [], { jobId: "first" });
    const all = collect(queue, { from: "0" });
    await waitFor(() => all.seen.length >= 1, { what: "the first event" });
    all.stop();
    const from = all.seen[0]?.id as string;
    // trim the stream past that event, as the cap does for a reader that is too slow
    const raw = await rawClient(url(), cleanup);
    await queue.enqueue("t", [], { jobId: "second" });
    await queue.enqueue("t", [], { jobId: "third" });
    await raw.sendCommand(["XTRIM", keysOf(queue).events, "MAXLEN", "1"]);
    const resumed = collect(queue, { from });
    await waitFor(() => resumed.seen.length >= 2, { what: "the gap and what is kept" });
    expect(resumed.seen.map(summary)).toEqual(["gap ", "enqueued third"]);
  });
});
