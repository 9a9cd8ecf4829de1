// The pool's IPC channel is shared with handler code: what a handler sends there must not crash the supervisor or
// change its accounting.
import { spawn } from "node:child_process";
import { Queue } from "@tq/client";
import { uniquePrefix, uniqueQueue, waitFor } from "@tq/testing";
import type { WorkerPoolOptions } from "@tq/worker";
import { afterEach, describe, expect, inject, test } from "vitest";
import { binPath, fixture, setupPool } from "./pool-helpers.js";

const connection = inject("redisUrl");
const cleanup: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  while (cleanup.length) await cleanup.pop()?.();
});

function setup(options: Partial<WorkerPoolOptions> = {}) {
  return setupPool("pool-ipc", cleanup, {
    module: fixture("pool-tasks-ipc.mjs"),
    concurrency: 2,
    shutdownTimeoutMs: 5_000,
    restartDelayMs: 50,
    ...options,
  });
}

describe("WorkerPool IPC", () => {
  test("garbage and look-alike messages from handlers are ignored: the pool stays up and every job completes", async () => {
    const { producer, pool, exits, logs } = setup();
    await pool.start();
    const pids = [...pool.pids];
    const jobs = await producer.enqueueMany([
      ...Array.from({ length: 4 }, () => ({ task: "chat", args: [] })),
      ...Array.from({ length: 10 }, () => ({ task: "pid", args: [] })),
    ]);
    for (const job of jobs) {
      const result = (await producer.waitForResult(job.id, { timeoutMs: 30_000 })) as { pid: number };
      expect(pids).toContain(result.pid);
    }
    expect(await producer.counts()).toMatchObject({ pending: 0, active: 0, completed: 14, failed: 0 });
    for (const job of jobs) expect((await producer.getJob(job.id))?.attempts).toBe(1);
    expect(exits).toEqual([]);
    expect(pool.pids.sort()).toEqual(pids.sort());
    expect(pool.isRunning).toBe(true);
    // Said once per process that sent such messages, quoted, and never the whole (4 MB) message.
    const foreign = logs.filter((l) => l.includes("sent an IPC message that is not the pool's"));
    expect(foreign.length).toBeGreaterThanOrEqual(1);
    expect(foreign.length).toBeLessThanOrEqual(2);
    for (const line of foreign) {
      expect(line).toMatch(/ignored \(is a handler calling process\.send\(\)\?\): "an object with t ended/);
      expect(line.length).toBeLessThan(1_000);
    }
  });

  test("a handler cannot pass for the pool: a job that says `closed` and `ended` before killing its process still ends failed", async () => {
    const { producer, pool, exits } = setup({ processes: 1, concurrency: 1 });
    await pool.start();
    const job = await producer.enqueue("forge", [], {
      maxRetries: 1,
      backoff: { type: "fixed", delayMs: 10 },
    });
    await expect(producer.waitForResult(job.id, { timeoutMs: 30_000 })).rejects.toMatchObject({
      code: "JOB_FAILED",
    });
    const info = await producer.getJob(job.id);
    expect(info?.attempts).toBe(2);
    expect(info?.errors?.map((e) => e.code)).toEqual(["LEASE_LOST", "LEASE_LOST"]);
    // the pool records the failed run in Redis first and emits "exit" after: the result can be read before that
    await waitFor(() => exits.length === 2, { what: "the second child's exit event" });
    expect(exits.map((e) => e.reason)).toEqual(["crashed", "crashed"]);
    expect(exits.map((e) => e.runs)).toEqual([
      [{ id: job.id, outcome: "retrying" }],
      [{ id: job.id, outcome: "failed" }],
    ]);
    for (const exit of exits) expect(exit.error).toBeUndefined();
  });

  test("tq-worker, as its own process, survives handlers that send it garbage, and stops cleanly after", async () => {
    const queue = uniqueQueue("pool-ipc-bin");
    const prefix = uniquePrefix();
    const producer = new Queue(queue, { connection, prefix });
    cleanup.push(() => producer.close());
    const proc = spawn(
      process.execPath,
      [binPath, "--queue", queue, "--prefix", prefix, "-p", "2", "-c", "2", fixture("pool-tasks-ipc.mjs")],
      { env: { ...process.env, REDIS_URL: connection }, stdio: ["ignore", "pipe", "pipe"] },
    );
    let stdout = "";
    let stderr = "";
    proc.stdout.on("data", (chunk: Buffer) => {
      stdout += chunk.toString();
    });
    proc.stderr.on("data", (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    const exited = new Promise<number | null>((resolve) => proc.once("exit", (code) => resolve(code)));
    cleanup.push(async () => {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill("SIGKILL");
    });
    await waitFor(() => stdout.includes("consuming queue"), { what: `the bin to start (stderr: ${stderr})` });
    const jobs = await producer.enqueueMany([
      ...Array.from({ length: 4 }, () => ({ task: "chat", args: [] })),
      ...Array.from({ length: 6 }, () => ({ task: "pid", args: [] })),
    ]);
    for (const job of jobs) await producer.waitForResult(job.id, { timeoutMs: 30_000 });
    expect(await producer.counts()).toMatchObject({ active: 0, completed: 10, failed: 0 });
    expect(proc.exitCode).toBeNull();
    expect(stderr).toContain("sent an IPC message that is not the pool's");
    proc.kill("SIGTERM");
    expect(await exited).toBe(0);
  });
});
