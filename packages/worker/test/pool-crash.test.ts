import { isAlive, testClient, waitFor } from "@tq/testing";
import type { WorkerPoolOptions } from "@tq/worker";
import { afterEach, describe, expect, inject, test } from "vitest";
import { setupPool } from "./pool-helpers.js";

const connection = inject("redisUrl");
const cleanup: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  while (cleanup.length) await cleanup.pop()?.();
});

function setup(options: Partial<WorkerPoolOptions> = {}) {
  return setupPool("pool-crash", cleanup, { shutdownTimeoutMs: 5_000, restartDelayMs: 50, ...options });
}

describe("WorkerPool crash accounting", () => {
  test("a job that kills its process ends failed after a bounded number of crashes; other jobs complete", async () => {
    const { producer, pool, exits, logs } = setup();
    await pool.start();
    const poison = await producer.enqueue("exit", [], {
      maxRetries: 2,
      backoff: { type: "fixed", delayMs: 10 },
    });
    const others = await producer.enqueueMany(Array.from({ length: 20 }, () => ({ task: "pid", args: [] })));
    await expect(producer.waitForResult(poison.id, { timeoutMs: 60_000 })).rejects.toMatchObject({
      code: "JOB_FAILED",
    });
    for (const job of others) {
      expect(await producer.waitForResult(job.id, { timeoutMs: 60_000 })).toHaveProperty("pid");
    }
    const info = await producer.getJob(poison.id);
    expect(info?.status).toBe("failed");
    expect(info?.attempts).toBe(3);
    expect(info?.errors).toHaveLength(3);
    for (const [i, error] of (info?.errors ?? []).entries()) {
      expect(error).toMatchObject({ code: "LEASE_LOST", attempt: i + 1 });
      expect(error.message).toMatch(/^worker process \d+ died \(exit code 1\) while running this job$/);
    }
    const crashes = exits.filter((e) => e.reason === "crashed");
    expect(crashes).toHaveLength(3);
    for (const crash of crashes) {
      expect(crash.code).toBe(1);
      expect(crash.runs).toEqual([{ id: poison.id, outcome: crash === crashes[2] ? "failed" : "retrying" }]);
    }
    expect(logs.some((l) => /died \(exit code 1\)/.test(l))).toBe(true);
    // the pool keeps its size
    await waitFor(() => pool.pids.length === 2, { what: "two children", timeoutMs: 30_000 });
  });

  test("a handler that never yields is killed after timeoutMs + grace and fails with TIMEOUT after its retries", async () => {
    const { producer, pool, exits } = setup({ hardTimeoutGraceMs: 300, leaseMs: 20_000 });
    await pool.start();
    const stuck = await producer.enqueue("spin", [], {
      timeoutMs: 300,
      maxRetries: 1,
      backoff: { type: "fixed", delayMs: 10 },
    });
    const others = await producer.enqueueMany(
      Array.from({ length: 10 }, () => ({ task: "sleep", args: [20] })),
    );
    await expect(producer.waitForResult(stuck.id, { timeoutMs: 60_000 })).rejects.toMatchObject({
      code: "JOB_FAILED",
    });
    for (const job of others) {
      expect(await producer.waitForResult(job.id, { timeoutMs: 60_000 })).toHaveProperty("pid");
    }
    const info = await producer.getJob(stuck.id);
    expect(info?.status).toBe("failed");
    expect(info?.attempts).toBe(2);
    expect(info?.errors).toHaveLength(2);
    for (const [i, error] of (info?.errors ?? []).entries()) {
      expect(error).toMatchObject({ code: "TIMEOUT", attempt: i + 1 });
      expect(error.message).toMatch(
        /ran past its timeoutMs of 300 ms without yielding; worker process \d+ was killed \(SIGKILL\)/,
      );
    }
    const kills = exits.filter((e) => e.reason === "timeout");
    expect(kills).toHaveLength(2);
    for (const kill of kills) {
      expect(kill.signal).toBe("SIGKILL");
      expect(isAlive(kill.pid)).toBe(false);
    }
    await waitFor(() => pool.pids.length === 2, { what: "two children", timeoutMs: 30_000 });
  });

  test("a child blocked longer than a lease (a job without timeoutMs that never yields) is killed; the job fails", async () => {
    const { producer, pool, exits } = setup({ leaseMs: 3_000 });
    await pool.start();
    const stuck = await producer.enqueue("spin", [], { maxRetries: 0 });
    const others = await producer.enqueueMany(
      Array.from({ length: 10 }, () => ({ task: "sleep", args: [20] })),
    );
    await expect(producer.waitForResult(stuck.id, { timeoutMs: 60_000 })).rejects.toMatchObject({
      code: "JOB_FAILED",
    });
    for (const job of others) {
      expect(await producer.waitForResult(job.id, { timeoutMs: 60_000 })).toHaveProperty("pid");
    }
    const info = await producer.getJob(stuck.id);
    expect(info?.status).toBe("failed");
    // Whichever notices first records it: the pool killing the child, or a worker reclaiming the expired lease.
    expect(info?.error).toMatchObject({ code: "LEASE_LOST", attempt: 1 });
    const kill = await waitFor(() => exits.find((e) => e.reason === "unresponsive"), {
      what: "the blocked child killed",
      timeoutMs: 30_000,
    });
    expect(kill.signal).toBe("SIGKILL");
    expect(isAlive(kill.pid)).toBe(false);
    await waitFor(() => pool.pids.length === 2, { what: "two children", timeoutMs: 30_000 });
  });

  test("a busy child's neighbours are handed back, not failed, when it is killed for a timeout", async () => {
    const { producer, pool, exits } = setup({ processes: 1, concurrency: 2, hardTimeoutGraceMs: 300 });
    await pool.start();
    const slow = await producer.enqueue("sleep", [60_000]);
    await waitFor(async () => (await producer.getJob(slow.id))?.status === "active", {
      what: "the slow job running",
    });
    const stuck = await producer.enqueue("spin", [], { timeoutMs: 300, maxRetries: 0 });
    await expect(producer.waitForResult(stuck.id, { timeoutMs: 60_000 })).rejects.toMatchObject({
      code: "JOB_FAILED",
    });
    const kill = await waitFor(() => exits.find((e) => e.reason === "timeout"), { what: "the kill" });
    expect(kill.runs).toEqual(
      expect.arrayContaining([
        { id: stuck.id, outcome: "failed" },
        { id: slow.id, outcome: "released" },
      ]),
    );
    // the neighbour runs again (its released run did not count)
    await waitFor(
      async () => {
        const job = await producer.getJob(slow.id);
        return job?.status === "active" && job.attempts === 1 && !job.errors?.length;
      },
      { what: "the neighbour running again as attempt 1" },
    );
  });

  test("a child that dies while one of its jobs' keys holds a string: that job is dead-lettered, its other run is still recorded", async () => {
    const { producer, pool, exits, keys } = setup({ processes: 1, concurrency: 2 });
    const redis = testClient(connection);
    await redis.connect();
    cleanup.push(() => redis.close());
    await pool.start();
    const broken = await producer.enqueue("sleepFirst", [60_000]);
    const other = await producer.enqueue("sleepFirst", [60_000]);
    for (const job of [broken, other]) {
      await waitFor(async () => (await producer.getJob(job.id))?.progress !== undefined, {
        what: `job ${job.id} running`,
      });
    }
    // Something other than tq overwrites the job's hash with a string.
    await redis.set(keys.job(broken.id), "not a hash");
    const pid = pool.pids[0] as number;
    process.kill(pid, "SIGKILL");
    const crash = await waitFor(() => exits.find((e) => e.pid === pid), { what: "the crash recorded" });
    expect(crash.reason).toBe("crashed");
    expect(crash.runs).toEqual(
      expect.arrayContaining([
        { id: broken.id, outcome: "failed" },
        { id: other.id, outcome: "retrying" },
      ]),
    );
    // The other job runs again at once (not one lease later) and completes; the broken one is in the dead letter.
    expect(await producer.waitForResult(other.id, { timeoutMs: 20_000 })).toMatchObject({ attempt: 2 });
    expect(await redis.zScore(keys.failed, broken.id)).not.toBeNull();
    expect(await redis.zScore(keys.active, broken.id)).toBeNull();
    expect(await redis.type(keys.job(broken.id))).toBe("hash");
    expect(await redis.hGet(keys.job(broken.id), "error")).toMatch(/held a string, not a hash/);
  });
});
