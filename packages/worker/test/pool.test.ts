import { createSecureContext } from "node:tls";
import { pathToFileURL } from "node:url";
import type { JobInfo, Queue } from "@tq/client";
import { clusterOptionsFromUrl } from "@tq/connection";
import { isAlive, onCluster, waitFor } from "@tq/testing";
import { isTqError, WorkerPool, type WorkerPoolOptions } from "@tq/worker";
import { createClient, createCluster } from "redis";
import { afterEach, describe, expect, inject, test } from "vitest";
import { fixture, setupPool } from "./pool-helpers.js";

const connection = inject("redisUrl");
const cleanup: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  while (cleanup.length) await cleanup.pop()?.();
});

function setup(options: Partial<WorkerPoolOptions> = {}) {
  return setupPool("pool", cleanup, { shutdownTimeoutMs: 10_000, restartDelayMs: 100, ...options });
}

async function progressPid(producer: Queue, id: string): Promise<number> {
  const info = await waitFor(
    async () => {
      const job = await producer.getJob(id);
      return job?.status === "active" && (job as JobInfo & { progress?: { pid?: number } }).progress?.pid
        ? job
        : null;
    },
    { timeoutMs: 30_000, what: `job ${id} running` },
  );
  return (info as JobInfo & { progress: { pid: number } }).progress.pid;
}

describe("WorkerPool", () => {
  test("spreads jobs over its processes and stops them all on close", async () => {
    const { producer, pool } = setup({ processes: 3, concurrency: 2 });
    await pool.start();
    const pids = pool.pids;
    expect(pids).toHaveLength(3);
    expect(new Set(pids).size).toBe(3);
    const jobs = await producer.enqueueMany(
      Array.from({ length: 30 }, () => ({ task: "sleep", args: [100] })),
    );
    const results = await Promise.all(
      jobs.map((job) => producer.waitForResult(job.id, { timeoutMs: 60_000 }) as Promise<{ pid: number }>),
    );
    const used = new Set(results.map((r) => r.pid));
    expect(used.size).toBe(3);
    for (const pid of used) expect(pids).toContain(pid);
    expect(used.has(process.pid)).toBe(false);
    await pool.close();
    expect(pool.pids).toEqual([]);
    for (const pid of pids) expect(isAlive(pid)).toBe(false);
  });

  test("replaces a child killed with SIGKILL mid-job, and the job completes elsewhere", async () => {
    const { producer, pool, exits } = setup();
    await pool.start();
    const job = await producer.enqueue("sleep", [1_500]);
    const victim = await progressPid(producer, job.id);
    expect(pool.pids).toContain(victim);
    process.kill(victim, "SIGKILL");
    const result = (await producer.waitForResult(job.id, { timeoutMs: 60_000 })) as { pid: number };
    expect(result.pid).not.toBe(victim);
    const info = await producer.getJob(job.id);
    expect(info?.status).toBe("completed");
    expect(info?.attempts).toBe(2);
    expect(info?.errors?.[0]).toMatchObject({
      code: "LEASE_LOST",
      attempt: 1,
      message: `worker process ${victim} died (signal SIGKILL) while running this job`,
    });
    const exit = exits.find((e) => e.pid === victim);
    expect(exit).toMatchObject({ reason: "crashed", signal: "SIGKILL", code: null });
    expect(exit?.runs).toEqual([{ id: job.id, outcome: "retrying" }]);
    await waitFor(() => pool.pids.length === 2 && !pool.pids.includes(victim), {
      what: "a replacement child",
      timeoutMs: 30_000,
    });
  });

  test("close() lets an in-flight job finish", async () => {
    const { producer, pool } = setup({ processes: 1 });
    await pool.start();
    const job = await producer.enqueue("sleep", [1_000]);
    await progressPid(producer, job.id);
    await pool.close();
    const info = await producer.getJob(job.id);
    expect(info?.status).toBe("completed");
    expect(info?.attempts).toBe(1);
  });

  test("close({ timeoutMs: 0 }) hands running jobs back without counting the run", async () => {
    const { producer, pool } = setup({ processes: 1 });
    await pool.start();
    const job = await producer.enqueue("sleep", [60_000]);
    await progressPid(producer, job.id);
    await pool.close({ timeoutMs: 0 });
    const info = await producer.getJob(job.id);
    expect(info?.status).toBe("pending");
    expect(info?.attempts).toBe(0);
  });

  test("loads a named `handlers` export and a CommonJS module", async () => {
    for (const [file, from] of [
      ["pool-tasks-named.mjs", "named"],
      ["pool-tasks.cjs", "cjs"],
    ] as const) {
      const { producer, pool } = setup({ module: pathToFileURL(fixture(file)), processes: 1 });
      await pool.start();
      const job = await producer.enqueue("pid", []);
      const result = await producer.waitForResult(job.id, { timeoutMs: 30_000 });
      expect(result).toEqual({ pid: pool.pids[0], from });
      await pool.close();
    }
  });

  test("start() rejects with VALIDATION for a module without handlers, and leaves no process behind", async () => {
    const { pool } = setup({ module: fixture("pool-tasks-bad.mjs") });
    const pids: number[] = [];
    pool.on("exit", (exit) => pids.push(exit.pid));
    const error = await pool.start().then(
      () => null,
      (e: unknown) => e,
    );
    expect(isTqError(error) && error.code).toBe("VALIDATION");
    expect((error as Error).message).toMatch(/default export or as a named "handlers" export/);
    expect(pids).toHaveLength(2);
    for (const pid of pids) expect(isAlive(pid)).toBe(false);
  });

  test("the constructor refuses a missing module and a connection children cannot receive", () => {
    expect(() => new WorkerPool({ queue: "q", module: fixture("nope.mjs") })).toThrow(
      /handlers module not found/,
    );
    expect(
      () =>
        new WorkerPool({
          queue: "q",
          module: fixture("pool-tasks.mjs"),
          connection: { url: connection, socket: { reconnectStrategy: () => 100 } },
        }),
    ).toThrow(/connection\.socket\.reconnectStrategy is a function/);
  });

  test("the constructor refuses socket options children would lose (functions, TLS objects), naming them", () => {
    const module = fixture("pool-tasks.mjs");
    const refused = (connection: WorkerPoolOptions["connection"]) => {
      try {
        new WorkerPool({ queue: "q", module, connection });
      } catch (error) {
        expect(isTqError(error) && error.code).toBe("VALIDATION");
        return (error as Error).message;
      }
      throw new Error("the pool accepted it");
    };
    expect(refused({ url: connection, socket: { tls: true, checkServerIdentity: () => undefined } })).toMatch(
      /^connection\.socket\.checkServerIdentity is a function, which WorkerPool cannot pass to its child processes .*: pass a Redis URL or client options made of plain values/,
    );
    expect(refused({ url: connection, socket: { tls: true, secureContext: createSecureContext() } })).toMatch(
      /^connection\.socket\.secureContext is a SecureContext object, not plain data/,
    );
    // A client's options too: they used to be dropped without a word, so children reconnected differently.
    // (never connected: any URL will do, also in the cluster project)
    const client = createClient({ url: "redis://127.0.0.1:1", socket: { reconnectStrategy: () => 100 } });
    expect(refused(client)).toMatch(
      /^connection \(a node-redis client\) option socket\.reconnectStrategy is a function/,
    );
    // Plain data, Buffers included, goes through.
    const plain = {
      url: connection,
      socket: { tls: false, ca: [Buffer.from("pem")], reconnectStrategy: false },
    };
    expect(() => new WorkerPool({ queue: "q", module, connection: plain as never })).not.toThrow();
    expect(
      () => new WorkerPool({ queue: "q", module, connection: createClient({ url: "redis://127.0.0.1:1" }) }),
    ).not.toThrow();
  });

  test("the constructor refuses a bad prefix and durations no timer can wait for", () => {
    const module = fixture("pool-tasks.mjs");
    const make = (options: Partial<WorkerPoolOptions>) => () =>
      new WorkerPool({ queue: "q", module, ...options });
    expect(make({ prefix: "app}{other" })).toThrow(/prefix must be 1-100 characters without braces/);
    expect(make({ prefix: "" })).toThrow(/prefix must be/);
    for (const name of [
      "leaseMs",
      "shutdownTimeoutMs",
      "hardTimeoutGraceMs",
      "restartDelayMs",
      "maxRestartDelayMs",
      "restartResetMs",
      "startTimeoutMs",
      "maxBlockMs",
    ] as const) {
      for (const value of [2 ** 31, Number.NaN]) {
        expect(make({ [name]: value }), `${name}: ${value}`).toThrow(
          new RegExp(`^${name} must be a number of milliseconds from \\d+ to 2147483647`),
        );
      }
    }
    expect(make({ shutdownTimeoutMs: Number.POSITIVE_INFINITY })).toThrow(/shutdownTimeoutMs must be/);
    // Infinity turns the hard timeout off.
    expect(make({ hardTimeoutGraceMs: Number.POSITIVE_INFINITY })).not.toThrow();
  });

  test("the constructor refuses a bad metricsPort or metricsHost, and a shared port with two hosts", () => {
    const module = fixture("pool-tasks.mjs");
    const make = (options: Partial<WorkerPoolOptions>) => () =>
      new WorkerPool({ queue: "q", module, ...options });
    expect(make({ metricsPort: 70_000 })).toThrow(/^metricsPort must be an integer from 0 to 65535/);
    expect(make({ metricsPort: 1.5 })).toThrow(/^metricsPort must be/);
    expect(make({ metricsPort: 9464, metricsHost: "" })).toThrow(/^metricsHost must be a host name/);
    expect(make({ metricsPort: 9464, healthPort: 9464, metricsHost: "0.0.0.0" })).toThrow(
      /^metricsPort equals healthPort/,
    );
    expect(
      make({ metricsPort: 9464, healthPort: 9464, metricsHost: "0.0.0.0", healthHost: "0.0.0.0" }),
    ).not.toThrow();
  });

  test("close() refuses a timeout no timer can wait for, and the pool stays usable", async () => {
    const { pool } = setup({ processes: 1 });
    await pool.start();
    for (const timeoutMs of [Number.NaN, Number.POSITIVE_INFINITY, 2 ** 31]) {
      await expect(pool.close({ timeoutMs })).rejects.toThrow(/close\(\) timeoutMs must be/);
    }
    expect(pool.isRunning).toBe(true);
    await pool.close({ timeoutMs: 1_000 });
    expect(pool.pids).toEqual([]);
  });

  test("a cluster client is refused, and the cluster as a URL or { cluster } options goes through", () => {
    const module = fixture("pool-tasks.mjs");
    const cluster = createCluster({ rootNodes: [{ url: "redis://127.0.0.1:1" }] });
    expect(() => new WorkerPool({ queue: "q", module, connection: cluster as never })).toThrow(
      /cannot pass a cluster client .* pass the cluster as a URL \("redis-cluster:\/\/host:port,host:port"\) or as \{ cluster:/,
    );
    for (const connection of [
      "redis-cluster://127.0.0.1:1,127.0.0.1:2",
      { cluster: { rootNodes: [{ url: "redis://127.0.0.1:1" }], defaults: { password: "pw" } } },
    ]) {
      expect(() => new WorkerPool({ queue: "q", module, connection })).not.toThrow();
    }
  });

  // The cluster project's pool tests all connect through a redis-cluster:// URL; this one through { cluster }.
  test.runIf(onCluster())("children connect to a cluster given as { cluster } options", async () => {
    const { producer, pool } = setup({
      connection: { cluster: clusterOptionsFromUrl(connection) },
      processes: 1,
    });
    await pool.start();
    const job = await producer.enqueue("pid", []);
    expect(await producer.waitForResult(job.id, { timeoutMs: 30_000 })).toEqual({ pid: pool.pids[0] });
  });

  // a cluster client cannot be passed to the children at all (see the test above)
  test.skipIf(onCluster())(
    "a connected node-redis client works: children use its URL, the pool leaves it open",
    async () => {
      const client = createClient({ url: connection });
      client.on("error", () => {});
      await client.connect();
      cleanup.push(() => client.close());
      const { producer, pool } = setup({ connection: client, processes: 1 });
      await pool.start();
      const job = await producer.enqueue("pid", []);
      expect(await producer.waitForResult(job.id, { timeoutMs: 30_000 })).toEqual({ pid: pool.pids[0] });
      await pool.close();
      expect(client.isOpen).toBe(true);
      expect(await client.ping()).toBe("PONG");
    },
  );
});
