import { Queue } from "@tq/client";
import { Scheduler } from "@tq/scheduler";
import { type RedisServer, startRedis } from "@tq/testing";
import { Worker } from "@tq/worker";
import { afterEach, expect, test } from "vitest";

// Each test starts redis-servers of its own with the maxmemory-policy it needs. The warning is given once per
// process per Redis server, so each class is shown its own server.
const cleanup: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  while (cleanup.length > 0) await cleanup.pop()?.();
});

async function redisWithPolicy(policy: string): Promise<RedisServer> {
  const server = await startRedis({ args: ["--maxmemory", "100mb", "--maxmemory-policy", policy] });
  cleanup.push(() => server.stop());
  return server;
}

function queueOn(server: RedisServer, name: string) {
  const warnings: string[] = [];
  const queue = new Queue(name, {
    connection: server.url,
    logger: {
      info() {},
      error() {},
      warn: (obj: object | string, msg?: string) =>
        void warnings.push(typeof obj === "string" ? obj : (msg ?? "")),
    },
  });
  cleanup.push(() => queue.close());
  return { queue, warnings };
}

function workerOn(server: RedisServer, name: string) {
  const errors: Error[] = [];
  const worker = new Worker(name, { t: () => null }, { connection: server.url });
  worker.on("error", (e) => errors.push(e));
  cleanup.push(() => worker.close());
  return { worker, errors };
}

test("a Queue warns once per process when Redis evicts keys (allkeys-lru), however many queues connect", async () => {
  const server = await redisWithPolicy("allkeys-lru");
  const a = queueOn(server, "a");
  const b = queueOn(server, "b");
  await a.queue.enqueue("t", []);
  await b.queue.enqueue("t", []);
  await a.queue.counts();
  const all = [...a.warnings, ...b.warnings];
  expect(all).toHaveLength(1);
  expect(all[0]).toContain('maxmemory-policy "allkeys-lru"');
  expect(all[0]).toContain("noeviction");
  // The same Redis again, from a Worker in this process: already warned.
  const { worker, errors } = workerOn(server, "a");
  await worker.start();
  expect(errors).toEqual([]);
});

test("Worker.start and Scheduler.start warn about an evicting policy through their error event", async () => {
  const { worker, errors } = workerOn(await redisWithPolicy("volatile-lru"), "w");
  await worker.start();
  expect(errors.map((e) => e.message)).toEqual([expect.stringContaining('maxmemory-policy "volatile-lru"')]);

  const other = await redisWithPolicy("allkeys-random");
  const scheduler = new Scheduler({ connection: other.url, queues: ["s"] });
  const schedulerErrors: Error[] = [];
  scheduler.on("error", (e) => schedulerErrors.push(e));
  cleanup.push(() => scheduler.close());
  await scheduler.start();
  expect(schedulerErrors.map((e) => e.message)).toEqual([
    expect.stringContaining('maxmemory-policy "allkeys-random"'),
  ]);
});

test("no warning under noeviction", async () => {
  const server = await redisWithPolicy("noeviction");
  const { queue, warnings } = queueOn(server, "q");
  await queue.enqueue("t", []);
  const { worker, errors } = workerOn(server, "q");
  await worker.start();
  expect(warnings).toEqual([]);
  expect(errors).toEqual([]);
});
