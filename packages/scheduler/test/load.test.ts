import { Queue } from "@tq/client";
import { onCluster, type RedisServer, sleep, startRedis, waitFor } from "@tq/testing";
import { createClient } from "redis";
import { afterAll, beforeAll, beforeEach, expect, test } from "vitest";
import { type FiredEvent, Scheduler, type SchedulerOptions, type SweptEvent } from "../src/index.js";
import { defer } from "./support.js";

// These tests count the commands Redis ran (INFO commandstats), so they use a Redis server of their own that no
// other test file talks to, and run one after the other.
let server: RedisServer;
let client: ReturnType<typeof createClient>;
// They count the commands of one server of their own: the cluster project skips them.
const skip = onCluster();
beforeAll(async () => {
  if (skip) return;
  server = await startRedis();
  client = createClient({ url: server.url });
  client.on("error", () => {});
  await client.connect();
});
afterAll(async () => {
  await client?.close();
  await server?.stop();
});
beforeEach(async () => {
  if (skip) return;
  // a server this file started and no one else uses
  await client.sendCommand(["FLUSHALL"]);
  await client.sendCommand(["CONFIG", "RESETSTAT"]);
});

/** How many times Redis ran each command since the last reset, by name (`evalsha`, `zrangebyscore`, …). */
async function commandCounts(): Promise<Record<string, number>> {
  const info = String(await client.sendCommand(["INFO", "commandstats"]));
  const out: Record<string, number> = {};
  for (const [, name, calls] of info.matchAll(/^cmdstat_([^:]+):calls=(\d+)/gm)) {
    out[name as string] = Number(calls);
  }
  return out;
}

/** Script calls (EVALSHA and its EVAL fallback). */
const scriptCalls = (c: Record<string, number>) => (c.evalsha ?? 0) + (c.eval ?? 0);
/** Sweeps: the sweep script is the only one here that runs ZRANGEBYSCORE, twice per call. */
const sweepCalls = (c: Record<string, number>) => (c.zrangebyscore ?? 0) / 2;

function newScheduler(options: SchedulerOptions = {}) {
  const scheduler = new Scheduler({ connection: server.url, ...options });
  const fired: FiredEvent[] = [];
  const swept: SweptEvent[] = [];
  const errors: Error[] = [];
  scheduler.on("fired", (e) => fired.push(e));
  scheduler.on("swept", (e) => swept.push(e));
  scheduler.on("error", (e) => errors.push(e));
  defer(() => scheduler.close());
  return { scheduler, fired, swept, errors };
}

function newQueue(name: string): Queue {
  const queue = new Queue(name, { connection: server.url });
  defer(() => queue.close());
  return queue;
}

test.skipIf(skip)(
  "a pass sweeps only the queues with due work, and names of queues without keys are pruned",
  async () => {
    const names = Array.from({ length: 300 }, (_, i) => `gone-${i}`);
    await client.sendCommand(["SADD", "tq:queues", ...names]);
    const live = newQueue("live");
    const job = await live.enqueue("t", [], { delayMs: 300 });
    const idle = newQueue("idle");
    await idle.enqueue("t", []);
    await client.sendCommand(["CONFIG", "RESETSTAT"]);

    const { scheduler, errors } = newScheduler({ maxIntervalMs: 100, housekeepingIntervalMs: 100 });
    await scheduler.start();
    await waitFor(async () => (await live.getJob(job.id))?.status === "pending", { what: "the promotion" });
    await waitFor(
      async () => ((await client.sendCommand(["SMEMBERS", "tq:queues"])) as string[]).length === 2,
      { what: "the names without keys pruned" },
    );
    await scheduler.close();

    expect(((await client.sendCommand(["SMEMBERS", "tq:queues"])) as string[]).sort()).toEqual([
      "idle",
      "live",
    ]);
    const counts = await commandCounts();
    // Every pass used to sweep all 302 names (one script each): 302 sweeps for the first pass alone.
    expect(sweepCalls(counts)).toBeLessThanOrEqual(3);
    expect(scriptCalls(counts)).toBeLessThan(100);
    expect(errors).toEqual([]);
  },
);

test.skipIf(skip)(
  "a queue whose sweep hits sweepBatch is swept again at once; the other queues are not",
  async () => {
    const big = newQueue("big");
    const small = newQueue("small");
    await big.enqueueMany(Array.from({ length: 50 }, () => ({ task: "t", opts: { delayMs: 20 } })));
    await small.enqueue("t", [], { delayMs: 20 });
    await sleep(100); // all of them due before the scheduler starts
    await client.sendCommand(["CONFIG", "RESETSTAT"]);

    const { scheduler, swept } = newScheduler({ sweepBatch: 10 });
    await scheduler.start();
    await waitFor(async () => (await big.counts()).pending === 50 && (await small.counts()).pending === 1, {
      what: "every job promoted",
    });
    await scheduler.close();

    expect(swept.filter((e) => e.queue === "big").map((e) => e.promoted)).toEqual([10, 10, 10, 10, 10]);
    expect(swept.filter((e) => e.queue === "small").map((e) => e.promoted)).toEqual([1]);
    // big: 5 full sweeps and one that finds nothing left; small: one. Repeating every queue made at least 12.
    expect(sweepCalls(await commandCounts())).toBeLessThanOrEqual(8);
  },
);

test.skipIf(skip)(
  "schedules due at once are fired in batches: one fire call per queue and one advance call per pass",
  async () => {
    const { scheduler, fired, errors } = newScheduler();
    const count = 250;
    for (let i = 0; i < count; i++) {
      await scheduler.upsertSchedule(`s${i}`, { everyMs: 3_600_000 }, { queue: `q${i % 2}`, task: "t" });
    }
    // Every schedule due now, as after a deploy that created them together.
    const [seconds] = (await client.sendCommand(["TIME"])) as [string, string];
    const now = String(Number(seconds) * 1000);
    await client.sendCommand([
      "ZADD",
      "{tq:schedules}:next",
      ...Array.from({ length: count }, (_, i) => [now, `s${i}`]).flat(),
    ]);
    await client.sendCommand(["CONFIG", "RESETSTAT"]);

    await scheduler.start();
    await waitFor(() => fired.length === count, { what: "every tick fired" });
    await scheduler.close();

    expect(new Set(fired.map((e) => e.jobId)).size).toBe(count);
    expect(errors).toEqual([]);
    // 3 passes of at most 100 schedules: 3 due calls, 2 fire calls (one per queue) and 1 advance call each. One
    // fire and one advance call per schedule made at least 500.
    expect(scriptCalls(await commandCounts())).toBeLessThanOrEqual(15);
    const pending = (await newQueue("q0").counts()).pending + (await newQueue("q1").counts()).pending;
    expect(pending).toBe(count);
  },
);
