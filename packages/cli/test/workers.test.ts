import { Queue, type WorkerInfo } from "@tq/client";
import { RedisConnection } from "@tq/connection";
import { heartbeat, queueKeys } from "@tq/protocol";
import { uniquePrefix, uniqueQueue, waitFor } from "@tq/testing";
import { Worker } from "@tq/worker";
import { afterAll, beforeAll, describe, expect, inject, test } from "vitest";
import { json, tqOn } from "./tq.js";

const url = inject("redisUrl");
const quiet = { debug() {}, info() {}, warn() {}, error() {} };

interface Report {
  ok: boolean;
  checks: Array<{ name: string; status: string; message: string; fix?: string }>;
}

describe("tq workers and tq stats with live workers", () => {
  const prefix = uniquePrefix();
  const first = uniqueQueue("wk-a");
  const second = uniqueQueue("wk-b");
  const run = tqOn(url, prefix);
  const workers: Worker[] = [];

  beforeAll(async () => {
    for (const [name, workerId] of [
      [first, "w-a1"],
      [first, "w-a2"],
      [second, "w-b1"],
    ] as const) {
      const worker = new Worker(
        name,
        {
          ok: async () => "done",
          boom: async () => {
            throw new Error("boom on purpose");
          },
        },
        { connection: url, prefix, concurrency: 2, workerId, logger: quiet },
      );
      worker.on("error", () => {});
      await worker.start();
      workers.push(worker);
    }
  });
  afterAll(async () => {
    for (const worker of workers) await worker.close({ timeoutMs: 0 });
  });

  test("every queue's workers, or one queue's: human table and --json", async () => {
    const all = json<WorkerInfo[]>(await run("workers", "--json"));
    expect(all.map((w) => w.id).sort()).toEqual(["w-a1", "w-a2", "w-b1"]);
    for (const w of all) {
      expect(w).toMatchObject({ pid: process.pid, concurrency: 2, state: "running" });
      expect(w.queue).toBe(w.id.startsWith("w-a") ? first : second);
    }
    const one = json<WorkerInfo[]>(await run("workers", second, "--json"));
    expect(one.map((w) => w.id)).toEqual(["w-b1"]);

    const human = await run("workers");
    expect(human.code).toBe(0);
    const lines = human.stdout.trimEnd().split("\n");
    expect(lines[0]).toMatch(
      /^ID\s+QUEUE\s+HOST\s+PID\s+CONC\s+ACTIVE\s+PROCESSED\s+FAILED\s+STATE\s+HEARTBEAT\s+LOOP\s+VERSION\s+UPTIME$/,
    );
    expect(lines).toHaveLength(4);
    const row = lines.find((line) => line.startsWith("w-b1 "));
    expect(row).toMatch(
      new RegExp(`^w-b1\\s+${second}\\s+\\S+\\s+${process.pid}\\s+2\\s+0\\s+\\d+\\s+\\d+\\s+running\\s`),
    );
  });

  test("an unknown queue: exit 1, one line", async () => {
    const result = await run("workers", "ghost");
    expect(result.code).toBe(1);
    expect(result.stdout).toBe("");
    expect(result.stderr).toMatch(/^tq: no queue "ghost" under prefix [^\n]+\n$/);
  });

  test("stats reads queue.stats(): workers alive and completed/failed per minute", async () => {
    const queue = new Queue(second, { connection: url, prefix, logger: quiet });
    try {
      const ok = await queue.enqueue("ok", []);
      const bad = await queue.enqueue("boom", [], { maxRetries: 0 });
      await queue.waitForResult(ok.id, { timeoutMs: 30_000 });
      await waitFor(async () => (await queue.counts()).failed === 1);
      const view = json<{
        queue: string;
        workers: number;
        completedPerMinute: number[];
        failedPerMinute: number[];
      }>(await run("stats", second, "--json"));
      expect(view).toMatchObject({ queue: second, workers: 1, paused: false, oldestPendingAgeMs: 0 });
      expect(view.completedPerMinute).toHaveLength(60);
      expect(view.completedPerMinute.reduce((a, b) => a + b, 0)).toBe(1);
      expect(view.failedPerMinute.reduce((a, b) => a + b, 0)).toBe(1);
      const human = await run("stats", second);
      expect(human.stdout).toMatch(/\nworkers\s+1\n/);
      expect(human.stdout).toMatch(/\ncompleted\/min\s+1 in the last 5 min, 1 in 60 min\n/);
      expect(human.stdout).toMatch(/\nfailed\/min\s+1 in the last 5 min, 1 in 60 min\n/);
      expect(bad.id).toEqual(expect.any(String));
    } finally {
      await queue.close();
    }
  });
});

describe("tq doctor on the queues", () => {
  test("a stale worker shows in tq workers and makes doctor exit 1, naming it", async () => {
    const prefix = uniquePrefix();
    const name = uniqueQueue("stale");
    const run = tqOn(url, prefix);
    const queue = new Queue(name, { connection: url, prefix, logger: quiet });
    const connection = await RedisConnection.open(url, { onError: () => {} });
    try {
      // jobs wait, and the one registered worker's loop last ran two minutes ago (past its staleMs) although it
      // keeps heartbeating: what a worker whose blocking connection died silently writes
      await queue.enqueue("ok", []);
      await heartbeat(connection, queueKeys(name, prefix), {
        workerId: "stuck-1",
        ttlMs: 60_000,
        startedAt: undefined,
        loopAgeMs: 120_000,
        fields: {
          host: "box-1",
          pid: 4242,
          concurrency: 2,
          version: "0.0.0",
          active: 0,
          processed: 0,
          failed: 0,
          state: "running",
          maxBlockMs: 5_000,
          staleMs: 8_000,
        },
      });
      const [info] = json<WorkerInfo[]>(await run("workers", name, "--json"));
      expect(info).toMatchObject({ id: "stuck-1", host: "box-1", pid: 4242, state: "stale" });
      expect((await run("workers", name)).stdout).toMatch(
        /\nstuck-1\s+\S+\s+box-1\s+4242\s+2\s+0\s+0\s+0\s+STALE\s/,
      );

      const result = await run("doctor", "--json");
      expect(result.code).toBe(1);
      const report = JSON.parse(result.stdout) as Report;
      const stale = report.checks.find((c) => c.name === "stale-workers");
      expect(stale).toMatchObject({ status: "fail" });
      expect(stale?.message).toContain(`queue ${name}: 1 stale worker(s)`);
      expect(stale?.message).toContain("stuck-1 (box-1 pid 4242");
      expect(stale?.fix).toContain(`tq workers ${name}`);
      const human = await run("doctor");
      expect(human.code).toBe(1);
      expect(human.stdout).toMatch(/FAIL {2}queue \S+: 1 stale worker\(s\)[^\n]*\n {6}fix: look at/);
    } finally {
      await connection.close();
      await queue.close();
    }
  });

  test("delayed jobs overdue with no worker or scheduler: exit 1, naming the jobs", async () => {
    const prefix = uniquePrefix();
    const name = uniqueQueue("late");
    const run = tqOn(url, prefix);
    const queue = new Queue(name, { connection: url, prefix, logger: quiet });
    try {
      const late = await queue.enqueue("ok", [], { delayMs: 1 });
      // the default margin (60 s) has not passed (the test Redis may fail other checks: only this one matters here)
      const healthy = JSON.parse((await run("doctor", "--json")).stdout) as Report;
      expect(healthy.checks.filter((c) => c.name === "overdue-delayed")).toEqual([]);
      const report = await waitFor(async () => {
        const result = await run("doctor", "--json", "--grace-ms", "0");
        const parsed = JSON.parse(result.stdout) as Report;
        return result.code === 1 && parsed.checks.some((c) => c.name === "overdue-delayed") ? parsed : null;
      });
      const overdue = report.checks.find((c) => c.name === "overdue-delayed");
      expect(overdue?.message).toBe(
        `queue ${name}: 1 delayed job(s) overdue by more than 0ms, nobody promotes them: ${late.id}`,
      );
      expect(overdue?.fix).toContain(`tq-worker --queue ${name}`);
    } finally {
      await queue.close();
    }
  });
});
