import { hostname } from "node:os";
import { Queue } from "@tq/client";
import { onCluster, signal, startRedis, uniqueQueue, waitFor } from "@tq/testing";
import { createClient } from "redis";
import { describe, expect, inject, test } from "vitest";
import packageJson from "../package.json" with { type: "json" };
import { Worker } from "../src/index.js";
import { Harness, quietLogger, redisNow } from "./helpers.js";
import { LossyProxy } from "./lossy-proxy.js";
import { setupPool } from "./pool-helpers.js";

const h = new Harness(inject("redisUrl"));

describe("worker registry", () => {
  test("a started worker registers with its fields, heartbeats, and is removed at close", async () => {
    const queue = h.queue();
    const worker = h.worker(
      queue.name,
      {
        ok: async () => "done",
        bad: async () => {
          throw new Error("no");
        },
      },
      {
        prefix: queue.prefix,
        concurrency: 3,
        workerId: "reg-w1",
      },
    );
    expect(await queue.workers()).toEqual([]);
    await worker.start();
    const client = await h.raw();
    const startedAt = await redisNow(client);

    const [info] = await queue.workers();
    expect(info).toMatchObject({
      id: "reg-w1",
      queue: queue.name,
      host: hostname(),
      pid: process.pid,
      concurrency: 3,
      active: 0,
      processed: 0,
      failed: 0,
      version: packageJson.version,
      state: "running",
    });
    expect(info?.startedAt).toBeLessThanOrEqual(startedAt);
    expect(info?.heartbeatAt).toBeGreaterThanOrEqual(info?.startedAt ?? Number.NaN);
    expect(worker.health()).toMatchObject({ connected: true, consuming: true, active: 0 });

    const ok = await queue.enqueue("ok", []);
    const bad = await queue.enqueue("bad", [], { maxRetries: 0 });
    await queue.waitForResult(ok.id);
    await waitFor(async () => (await queue.getJob(bad.id))?.status === "failed");
    // the next heartbeats carry the counters and a newer heartbeatAt
    const later = await waitFor(async () => {
      const [w] = await queue.workers();
      return w && w.processed === 2 && w.heartbeatAt > (info?.heartbeatAt ?? 0) ? w : null;
    });
    expect(later).toMatchObject({ processed: 2, failed: 1, startedAt: info?.startedAt, state: "running" });

    await worker.close();
    expect(await queue.workers()).toEqual([]);
    expect(await client.exists(`${queue.prefix}:{${queue.name}}:worker:reg-w1`)).toBe(0);
    expect(worker.health()).toMatchObject({ connected: false, consuming: false });
  });

  test("draining while close waits for running jobs", async () => {
    const queue = h.queue();
    let release: () => void = () => {};
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    const worker = h.worker(queue.name, { hold: () => held }, { prefix: queue.prefix });
    await worker.start();
    await queue.enqueue("hold", []);
    await waitFor(() => worker.activeCount === 1);
    const closing = worker.close();
    const [info] = await waitFor(async () => {
      const list = await queue.workers();
      return list[0]?.state === "draining" ? list : null;
    });
    expect(info?.active).toBe(1);
    expect(worker.health().consuming).toBe(false);
    release();
    await closing;
    expect(await queue.workers()).toEqual([]);
  });

  // a proxy in front of one port (a cluster client would follow MOVED replies past it to the real nodes)
  test.skipIf(onCluster())(
    "a worker whose blocking connection is silently dead is stale while jobs wait, then recovers",
    async () => {
      const queue = h.queue();
      const proxy = await LossyProxy.start(h.url);
      const closers: Array<() => Promise<void>> = [];
      try {
        // the first BZPOPMIN reaches Redis, and from then on nothing comes back on that (blocking) connection
        const trapped = proxy.onRequest((text) => text.includes("BZPOPMIN"));
        // through the proxy, so not the harness's worker (which connects straight to Redis)
        const worker = new Worker(
          queue.name,
          { ok: async () => "done" },
          { prefix: queue.prefix, connection: proxy.url, maxBlockMs: 1_000, logger: quietLogger() },
        );
        worker.on("error", () => {});
        closers.push(() => worker.close({ timeoutMs: 0 }));
        await worker.start();
        await trapped;
        const job = await queue.enqueue("ok", []);
        // heartbeats go on over the command connection, but the loop waits for a reply that never comes
        const [stale] = await waitFor(async () => {
          const list = await queue.workers();
          return list[0]?.state === "stale" ? list : null;
        });
        expect(stale?.heartbeatAt).toBeGreaterThan(stale?.loopAt ?? Number.POSITIVE_INFINITY);
        expect(worker.health()).toMatchObject({ connected: true, consuming: false, active: 0 });
        // its watchdog gives up on the dead connection, and the job runs
        await queue.waitForResult(job.id, { timeoutMs: 30_000 });
        await waitFor(async () => (await queue.workers())[0]?.state === "running");
        expect(worker.health().consuming).toBe(true);
      } finally {
        for (const close of closers) await close();
        await proxy.close();
      }
    },
  );

  // a standalone server of its own (CLIENT PAUSE): nothing of it depends on the project's topology
  test.skipIf(onCluster())(
    "under CLIENT PAUSE its loop stops: health() says not consuming, then consuming again",
    async () => {
      const server = await startRedis();
      const name = uniqueQueue("paused");
      const queue = new Queue(name, { connection: server.url });
      const admin = createClient({ url: server.url });
      admin.on("error", () => {});
      const worker = new Worker(
        name,
        { ok: async () => "done" },
        {
          connection: server.url,
          maxBlockMs: 500,
          logger: quietLogger(),
        },
      );
      worker.on("error", () => {});
      try {
        await admin.connect();
        await worker.start();
        await waitFor(() => worker.health().consuming);
        // writes (BZPOPMIN, the scripts) wait while the pause lasts; the worker's loop with them
        await admin.sendCommand(["CLIENT", "PAUSE", "6000", "WRITE"]);
        await waitFor(() => !worker.health().consuming, { what: "health() to say not consuming" });
        expect(worker.health()).toMatchObject({ connected: true, consuming: false });
        await admin.sendCommand(["CLIENT", "UNPAUSE"]);
        await waitFor(() => worker.health().consuming, { timeoutMs: 20_000, what: "consuming again" });
        const job = await queue.enqueue("ok", []);
        expect(await queue.waitForResult(job.id, { timeoutMs: 20_000 })).toBe("done");
      } finally {
        await worker.close({ timeoutMs: 0 });
        await queue.close();
        await admin.close().catch(() => {});
        await server.stop();
      }
    },
  );

  test("the entry of a pool child killed with SIGKILL is removed by the pool, not left to its TTL", async () => {
    const cleanup: Array<() => Promise<unknown>> = [];
    try {
      const { producer, pool } = setupPool("reg", cleanup, { processes: 1, restartDelayMs: 60_000 });
      await pool.start();
      const [first] = await producer.workers();
      expect(first).toMatchObject({ pid: pool.pids[0], state: "running" });
      const exited = new Promise((resolve) => pool.once("exit", resolve));
      signal(first?.pid as number, "SIGKILL");
      // the pool records the exit (the child's runs, its claims, its registry entry) before it emits `exit`; the
      // entry's own TTL is 10 s, far beyond this point
      await exited;
      expect((await producer.workers()).map((w) => w.id)).not.toContain(first?.id);
    } finally {
      while (cleanup.length) await cleanup.pop()?.();
    }
  });
});
