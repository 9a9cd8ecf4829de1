import { Queue } from "@tq/client";
import { onCluster, type RedisServer, startRedis, uniqueQueue, waitFor } from "@tq/testing";
import { type PoolChildExit, WorkerPool } from "@tq/worker";
import { createClient } from "redis";
import { afterAll, beforeAll, expect, test } from "vitest";
import { fixture } from "./pool-helpers.js";

// A Redis of its own: the test pauses its writes, which must not slow other test files down.
let server: RedisServer;
beforeAll(async () => {
  if (onCluster()) return;
  server = await startRedis();
});
afterAll(async () => {
  await server?.stop();
});

// a standalone server of its own (CLIENT PAUSE WRITE): nothing of it depends on the project's topology
test.skipIf(onCluster())(
  "a run the child's Worker timed out itself is not killed while its outcome waits for Redis",
  async () => {
    const name = uniqueQueue("settled");
    const producer = new Queue(name, { connection: server.url });
    const logs: string[] = [];
    const log = (obj: object | string, msg?: string) =>
      logs.push(typeof obj === "string" ? obj : `${msg ?? ""} ${JSON.stringify(obj)}`);
    const pool = new WorkerPool({
      queue: name,
      connection: server.url,
      module: fixture("pool-tasks.mjs"),
      processes: 1,
      concurrency: 1,
      leaseMs: 30_000,
      hardTimeoutGraceMs: 300,
      shutdownTimeoutMs: 1_000,
      execArgv: [],
      logger: { debug: log, info: log, warn: log, error: log },
    });
    const exits: PoolChildExit[] = [];
    pool.on("exit", (exit) => exits.push(exit));
    pool.on("error", () => {});
    const admin = createClient({ url: server.url });
    admin.on("error", () => {});
    await admin.connect();
    try {
      await pool.start();
      const job = await producer.enqueue("hang", [], { timeoutMs: 1_000, maxRetries: 0 });
      await waitFor(async () => (await producer.getJob(job.id))?.progress !== undefined, {
        what: "the handler to start",
        timeoutMs: 20_000,
      });
      // The Worker's own timer fails the run after 1 s, but its ack cannot reach Redis for 2.5 s: the pool must not
      // take the wait for a handler that never yields (1 s + 300 ms grace) and kill the child.
      await admin.sendCommand(["CLIENT", "PAUSE", "2500", "WRITE"]);
      await expect(producer.waitForResult(job.id, { timeoutMs: 30_000 })).rejects.toMatchObject({
        code: "JOB_FAILED",
      });
      const info = await producer.getJob(job.id);
      expect(info?.status).toBe("failed");
      expect(info?.error).toMatchObject({ code: "TIMEOUT" });
      expect(info?.error?.message).toMatch(/ran past its timeoutMs of 1000 ms/);
      expect(info?.error?.message).not.toMatch(/killed/);
      expect(exits.filter((e) => e.reason === "timeout")).toEqual([]);
      expect(pool.pids).toHaveLength(1);
    } finally {
      await pool.close({ timeoutMs: 0 });
      await producer.close();
      await admin.close();
    }
  },
);
