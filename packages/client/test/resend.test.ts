import { randomBytes } from "node:crypto";
import { onCluster, type RedisServer, sleep, startRedis, uniqueQueue, waitFor } from "@tq/testing";
import { describe, expect, inject, test } from "vitest";
import { type EnqueuedJob, Queue, type QueueOptions } from "../src/index.js";
import {
  Cleanup,
  connected,
  keysOf,
  type RawClient,
  rawClient,
  rejection,
  scanKeys,
  startLossyProxy,
} from "./helpers.js";

const connection = inject("redisUrl");
const cleanup = new Cleanup();

/**
 * Enqueues `total` jobs from `concurrency` loops, each awaiting its enqueue before the next, and more while
 * `keepGoing()` says so; calls `onAck` per job.
 */
async function produce(
  queue: Queue,
  total: number,
  concurrency: number,
  onAck = () => {},
  keepGoing = () => false,
): Promise<EnqueuedJob[]> {
  const jobs: EnqueuedJob[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < total || keepGoing()) {
        const i = next++;
        jobs[i] = await queue.enqueue("t", [i]);
        onAck();
      }
    }),
  );
  return jobs;
}

/** Every job resolved as created and is in Redis exactly once: one record, one entry in its pending list. */
async function expectStoredOnce(raw: RawClient, queue: Queue, jobs: readonly EnqueuedJob[], total: number) {
  expect(jobs.filter(Boolean)).toHaveLength(total);
  expect(jobs.filter((j) => !j.created)).toEqual([]);
  const ids = jobs.map((j) => j.id);
  expect(new Set(ids).size).toBe(total);
  const listed = await raw.lRange(keysOf(queue).pending.normal, 0, -1);
  expect(listed).toHaveLength(total);
  expect(new Set(listed)).toEqual(new Set(ids));
  expect(await scanKeys(raw, `${keysOf(queue).base}job:*`)).toHaveLength(total);
  expect(await queue.counts()).toEqual({ scheduled: 0, pending: total, active: 0, completed: 0, failed: 0 });
}

async function throughProxy(options: QueueOptions = {}) {
  const proxy = await startLossyProxy(connection);
  cleanup.add(() => proxy.close());
  const queue = cleanup.queue(new Queue(uniqueQueue("resend"), { connection: proxy.url, ...options }));
  // warm up: the connection is open and the script cached, so the next call is the EVALSHA that runs it
  await queue.cancel((await queue.enqueue("warm-up", [])).id);
  return { proxy, queue, raw: await rawClient(connection, cleanup) };
}

// The lossy proxy stands in front of one port: a cluster client would follow MOVED replies past it to the real nodes.
describe.skipIf(onCluster())("re-sending an enqueue whose reply was lost", () => {
  test("stores the job once and still reports it created", async () => {
    const { proxy, queue, raw } = await throughProxy();
    proxy.loseNextReply();
    const job = await queue.enqueue("t", ["x"], { jobId: "lost-reply" });
    expect(proxy.lost).toBe(1);
    expect(job).toMatchObject({ id: "lost-reply", created: true });
    await expectStoredOnce(raw, queue, [job], 1);
    expect(await queue.getJob("lost-reply")).toMatchObject({ args: ["x"], status: "pending", attempts: 0 });
  });

  test("stores a whole enqueueMany once", async () => {
    const { proxy, queue, raw } = await throughProxy();
    proxy.loseNextReply();
    const jobs = await queue.enqueueMany(Array.from({ length: 300 }, (_, i) => ({ task: "t", args: [i] })));
    expect(proxy.lost).toBe(1);
    await expectStoredOnce(raw, queue, jobs, 300);
  });

  test("reports created: false for a job another producer had stored under that id", async () => {
    const { proxy, queue, raw } = await throughProxy();
    const other = cleanup.queue(new Queue(queue.name, { connection }));
    await other.enqueue("t", ["theirs"], { jobId: "taken" });
    proxy.loseNextReply();
    const job = await queue.enqueue("t", ["mine"], { jobId: "taken" });
    expect(proxy.lost).toBe(1);
    expect(job).toMatchObject({ id: "taken", created: false });
    expect((await queue.getJob("taken"))?.args).toEqual(["theirs"]);
    expect(await raw.lRange(keysOf(queue).pending.normal, 0, -1)).toEqual(["taken"]);
  });

  test("a re-send that finds a key of another type at the job id reports created: false, without failing", async () => {
    const { proxy, queue, raw } = await throughProxy();
    await raw.set(keysOf(queue).job("clash"), "not a hash");
    proxy.loseNextReply();
    expect(await queue.enqueue("t", [], { jobId: "clash" })).toMatchObject({ created: false });
    expect(proxy.lost).toBe(1);
    expect(await raw.get(keysOf(queue).job("clash"))).toBe("not a hash");
  });

  test("with retryConnectionMs: 0 the call rejects with CONNECTION at once (the job may be stored)", async () => {
    const { proxy, queue } = await throughProxy({ retryConnectionMs: 0 });
    proxy.loseNextReply();
    const error = await rejection(queue.enqueue("t", [], { jobId: "unknown-outcome" }));
    expect(error.code).toBe("CONNECTION");
    expect(await queue.getJob("unknown-outcome")).toMatchObject({ status: "pending" });
  });

  test("retryConnectionMs must be a timer duration", () => {
    for (const retryConnectionMs of [-1, Number.NaN, Number.POSITIVE_INFINITY, 2 ** 31]) {
      expect(() => new Queue(uniqueQueue(), { connection, retryConnectionMs })).toThrow(/retryConnectionMs/);
    }
  });
});

describe("riding through a blip", () => {
  test("CLIENT KILL of the producer's connection, again and again mid-stream: every enqueue resolves, each job stored once", {
    timeout: 120_000,
  }, async () => {
    const name = `producer-${randomBytes(4).toString("hex")}`;
    const queue = cleanup.queue(new Queue(uniqueQueue("kill"), { connection: { url: connection, name } }));
    await connected(queue);
    const raw = await rawClient(connection, cleanup);
    const total = 2_000;
    let acked = 0;
    let kills = 0;
    let producing = true;
    const killer = (async () => {
      while (producing) {
        // on a cluster, the producer's connections to every master (client ids are per node)
        for (const node of await raw.masterClients()) {
          const list = String(await node.sendCommand(["CLIENT", "LIST"]));
          for (const line of list.split("\n")) {
            const id = / name=(\S+)/.exec(line)?.[1] === name ? /^id=(\d+)/.exec(line)?.[1] : undefined;
            if (id && producing) {
              await node.sendCommand(["CLIENT", "KILL", "ID", id]);
              kills++;
            }
          }
        }
        // let the producer reconnect and get a few calls in flight before the next kill
        await waitFor(() => !producing || acked > 0, { what: "acks" });
        await sleep(15);
      }
    })();
    // at least `total` jobs, and as many more as it takes for five kills to land mid-stream
    const jobs = await produce(
      queue,
      total,
      20,
      () => acked++,
      () => kills < 5,
    ).finally(() => {
      producing = false;
    });
    await killer;
    expect(kills).toBeGreaterThanOrEqual(5);
    expect(jobs.length).toBeGreaterThanOrEqual(total);
    await expectStoredOnce(raw, queue, jobs, jobs.length);
  });

  // starts, kills and restarts a standalone server of its own: nothing of it depends on the project's topology
  test.skipIf(onCluster())(
    "Redis killed -9 and restarted 2 s later (AOF): every enqueue resolves, each job stored once",
    {
      timeout: 120_000,
    },
    async () => {
      const server: RedisServer = await startRedis({ appendonly: true, appendfsync: "always" });
      cleanup.add(() => server.stop());
      const queue = cleanup.queue(new Queue(uniqueQueue("crash"), { connection: server.url }));
      await connected(queue);
      const total = 2_000;
      let acked = 0;
      const producing = produce(queue, total, 20, () => acked++);
      producing.catch(() => {});
      await waitFor(() => acked >= 300, { what: "300 enqueues before the crash" });
      server.kill("SIGKILL");
      await server.exited();
      const atCrash = acked;
      await sleep(2_000);
      await server.restart();
      const jobs = await producing;
      expect(atCrash).toBeLessThan(total);
      await expectStoredOnce(await rawClient(server.url, cleanup), queue, jobs, total);
    },
  );

  // a standalone server of its own, killed: nothing of it depends on the project's topology
  test.skipIf(onCluster())(
    "gives up with CONNECTION once Redis has stayed away for retryConnectionMs",
    {
      timeout: 60_000,
    },
    async () => {
      const server = await startRedis();
      cleanup.add(() => server.stop());
      const queue = cleanup.queue(
        new Queue(uniqueQueue("gone"), { connection: server.url, retryConnectionMs: 1_000 }),
      );
      await queue.enqueue("t", []);
      server.kill("SIGKILL");
      await server.exited();
      const error = await rejection(queue.enqueue("t", []));
      expect(error.code).toBe("CONNECTION");
      expect(error.message).toContain("retryConnectionMs");
      expect(error.message).toContain("same jobId");
      // and closing it does not wait for replies that cannot come
      await queue.close();
    },
  );
});
