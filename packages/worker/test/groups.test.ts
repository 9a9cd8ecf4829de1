import { type JobInfo, Queue } from "@tq/client";
import {
  mostAtOnce,
  mostStartsInAnyWindow,
  testClient,
  uniquePrefix,
  uniqueQueue,
  waitFor,
} from "@tq/testing";
import { Worker } from "@tq/worker";
import { afterEach, describe, expect, inject, test } from "vitest";
import { finished, fixture, setupPool } from "./pool-helpers.js";

const connection = inject("redisUrl");
const cleanup: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  while (cleanup.length) await cleanup.pop()?.();
});

function producerQueue(label: string): Queue {
  const producer = new Queue(uniqueQueue(label), { connection, prefix: uniquePrefix() });
  cleanup.push(() => producer.close());
  return producer;
}

function worker(
  producer: Queue,
  handlers: ConstructorParameters<typeof Worker>[1],
  concurrency: number,
): Worker {
  const w = new Worker(producer.name, handlers, { connection, prefix: producer.prefix, concurrency });
  w.on("error", () => {});
  cleanup.push(() => w.close({ timeoutMs: 0 }));
  return w;
}

async function raw() {
  const client = testClient(connection);
  client.on("error", () => {});
  await client.connect();
  cleanup.push(() => client.close());
  return client;
}

/** Jobs by group: `count` jobs of `work` for each group, interleaved. */
function grouped(groups: readonly string[], count: number, ms: number) {
  return Array.from({ length: count * groups.length }, (_, i) => ({
    task: "work",
    args: [ms],
    opts: { group: groups[i % groups.length] as string },
  }));
}

const spansOf = (jobs: readonly JobInfo[]) =>
  jobs.map((j) => [j.startedAt as number, j.finishedAt as number] as [number, number]);

describe("group concurrency", () => {
  test("no group ever has more jobs active than its limit, across three worker processes", {
    timeout: 120_000,
  }, async () => {
    const { producer, pool, keys } = setupPool("gconc", cleanup, {
      module: fixture("flow-tasks.mjs"),
      processes: 3,
      concurrency: 5,
    });
    await producer.setGroupConcurrency(2);
    const groups = ["tenant-a", "tenant-b", "tenant-c"];
    const jobs = await producer.enqueueMany(grouped(groups, 15, 40));
    await pool.start();
    const done = await finished(
      producer,
      jobs.map((j) => j.id),
    );
    for (const group of groups) {
      const spans = spansOf(done.filter((j) => j.group === group));
      expect(spans).toHaveLength(15);
      expect(mostAtOnce(spans), group).toBeLessThanOrEqual(2);
    }
    // the groups ran side by side: more than one group's limit was active at once overall
    expect(mostAtOnce(spansOf(done))).toBeGreaterThan(2);
    expect(new Set(done.map((j) => (j.result as { pid: number }).pid)).size).toBeGreaterThan(1);
    // nothing left behind: no active counts, no group in the ring, no pending count
    const client = await raw();
    await waitFor(async () => (await client.hLen(keys.groupActive)) === 0, { what: "gactive empty" });
    expect(await client.exists([keys.groups, keys.groupWait])).toBe(0);
    expect(Number(await client.hGet(keys.meta, "gpending"))).toBe(0);
    expect((await producer.stats()).limits.groupConcurrency).toBe(2);
  });

  test("a raised limit lets a full group run more at once from the call on", {
    timeout: 60_000,
  }, async () => {
    const producer = producerQueue("graise");
    await producer.setGroupConcurrency(1);
    let running = 0;
    let most = 0;
    const release: Array<() => void> = [];
    const w = worker(
      producer,
      {
        hold: async () => {
          running++;
          most = Math.max(most, running);
          await new Promise<void>((resolve) => release.push(resolve));
          running--;
        },
      },
      4,
    );
    const jobs = await producer.enqueueMany(
      Array.from({ length: 3 }, () => ({ task: "hold", opts: { group: "g" } })),
    );
    await w.start();
    await waitFor(() => release.length === 1, { what: "the first job to run" });
    expect((await producer.counts()).pending).toBe(2);
    await producer.setGroupConcurrency(3);
    await waitFor(() => release.length === 3, { what: "all three to run at once" });
    expect(most).toBe(3);
    for (const r of release.splice(0)) r();
    await finished(
      producer,
      jobs.map((j) => j.id),
    );
  });
});

describe("round robin", () => {
  test("a small group's jobs all start while a 100,000-job group is still pending", {
    timeout: 300_000,
  }, async () => {
    const producer = producerQueue("gbig");
    await producer.setGroupConcurrency(2);
    for (let i = 0; i < 100; i++) {
      await producer.enqueueMany(
        Array.from({ length: 1000 }, () => ({ task: "work", args: [1], opts: { group: "big" } })),
      );
    }
    const small = await producer.enqueueMany(
      Array.from({ length: 5 }, () => ({ task: "work", args: [1], opts: { group: "small" } })),
    );
    expect((await producer.counts()).pending).toBe(100_005);
    const w = worker(producer, { work: async () => "ok" }, 4);
    await w.start();
    await finished(
      producer,
      small.map((j) => j.id),
      120_000,
    );
    await w.close();
    const page = await producer.groups({ limit: 10 });
    const big = page.groups.find((g) => g.name === "big");
    expect(big?.pending).toBeGreaterThan(90_000);
  });

  test("jobs without a group and jobs in groups share the workers: neither waits for the other to drain", async () => {
    const producer = producerQueue("gmixed");
    await producer.enqueueMany(Array.from({ length: 30 }, () => ({ task: "t", args: ["plain"] })));
    await producer.enqueueMany(
      Array.from({ length: 30 }, () => ({ task: "t", args: ["grouped"], opts: { group: "g" } })),
    );
    const order: string[] = [];
    const w = worker(producer, { t: async ([kind]: [string]) => void order.push(kind) }, 1);
    await w.start();
    await waitFor(() => order.length === 60, { what: "every job" });
    const first = order.slice(0, 10);
    expect(first).toContain("plain");
    expect(first).toContain("grouped");
  });
});

describe("priorities within a group", () => {
  test("high before normal before low, FIFO within one priority", async () => {
    const producer = producerQueue("gpri");
    await producer.setGroupConcurrency(1);
    const jobs: Array<[string, "high" | "normal" | "low"]> = [
      ["low-1", "low"],
      ["normal-1", "normal"],
      ["high-1", "high"],
      ["normal-2", "normal"],
      ["low-2", "low"],
      ["high-2", "high"],
    ];
    for (const [name, priority] of jobs) await producer.enqueue("t", [name], { priority, group: "g" });
    const order: string[] = [];
    const w = worker(producer, { t: async ([name]: [string]) => void order.push(name) }, 3);
    await w.start();
    await waitFor(() => order.length === jobs.length, { what: "every job" });
    expect(order).toEqual(["high-1", "high-2", "normal-1", "normal-2", "low-1", "low-2"]);
  });
});

describe("group rate limit", () => {
  test("no group has more than max starts in any window, across two worker processes", {
    timeout: 120_000,
  }, async () => {
    const { producer, pool } = setupPool("grate", cleanup, {
      module: fixture("flow-tasks.mjs"),
      processes: 2,
      concurrency: 4,
    });
    await producer.setGroupConcurrency(null, { rateLimit: { max: 3, durationMs: 300 } });
    const groups = ["a", "b"];
    const jobs = await producer.enqueueMany(grouped(groups, 12, 5));
    await pool.start();
    const done = await finished(
      producer,
      jobs.map((j) => j.id),
    );
    for (const group of groups) {
      const starts = done.filter((j) => j.group === group).map((j) => j.startedAt as number);
      expect(mostStartsInAnyWindow(starts, 300), group).toBeLessThanOrEqual(3);
      // 12 starts at 3 per 300 ms need at least 3 full windows
      expect(Math.max(...starts) - Math.min(...starts)).toBeGreaterThanOrEqual(3 * 300);
    }
    expect((await producer.stats()).limits).toMatchObject({
      groupConcurrency: null,
      groupRateLimit: { max: 3, durationMs: 300 },
    });
  });

  test("a group waiting for its window does not hold back another group", async () => {
    const producer = producerQueue("gwait");
    await producer.setGroupRateLimit({ max: 1, durationMs: 60_000 });
    const slow = await producer.enqueueMany(
      Array.from({ length: 3 }, () => ({ task: "t", opts: { group: "slow" } })),
    );
    const w = worker(producer, { t: async () => "ok" }, 2);
    await w.start();
    await finished(producer, [slow[0]?.id as string]);
    const other = await producer.enqueueMany(
      Array.from({ length: 1 }, () => ({ task: "t", opts: { group: "other" } })),
    );
    await finished(
      producer,
      other.map((j) => j.id),
    );
    // the slow group's window holds its other two jobs for a minute
    expect((await producer.counts()).pending).toBe(2);
    await producer.setGroupRateLimit(null);
    await finished(
      producer,
      slow.map((j) => j.id),
    );
  });
});

describe("group slots come back", () => {
  test("every way a run ends frees its slot: completed, retried, dead-lettered, handed back, cancelled", async () => {
    const producer = producerQueue("gslots");
    const client = await raw();
    const keys = (await import("@tq/protocol")).queueKeys(producer.name, producer.prefix);
    await producer.setGroupConcurrency(1);
    const throttled = new Set<string>();
    const w = worker(
      producer,
      {
        ok: async () => "ok",
        flaky: async (_args: unknown, ctx) => {
          if (ctx.attempt === 1) throw new Error("first run fails");
          return "ok";
        },
        doomed: async () => {
          throw new Error("always fails");
        },
        throttled: async (_args: unknown, ctx) => {
          if (!throttled.has(ctx.jobId)) {
            throttled.add(ctx.jobId);
            await ctx.rateLimit(50);
            throw new Error("429");
          }
          return "ok";
        },
        hang: async (_args: unknown, ctx) => {
          await new Promise((resolve) => ctx.signal.addEventListener("abort", resolve, { once: true }));
        },
      },
      2,
    );
    await w.start();
    const hang = await producer.enqueue("hang", [], { group: "g" });
    const rest = await producer.enqueueMany([
      { task: "ok", opts: { group: "g" } },
      { task: "flaky", opts: { group: "g", backoff: { type: "fixed", delayMs: 0 } } },
      { task: "doomed", opts: { group: "g", maxRetries: 0 } },
      { task: "throttled", opts: { group: "g" } },
      { task: "ok", opts: { group: "g" } },
    ]);
    await waitFor(async () => (await producer.getJob(hang.id))?.status === "active", { what: "hang to run" });
    // the one slot is taken: the others wait
    expect((await producer.counts()).pending).toBe(5);
    expect(await producer.cancel(hang.id)).toBe(true);
    await waitFor(
      async () => {
        const infos = await Promise.all(rest.map((j) => producer.getJob(j.id)));
        return infos.every((j) => j?.status === "completed" || j?.status === "failed");
      },
      { what: "the rest to finish", timeoutMs: 30_000 },
    );
    const states = await Promise.all(rest.map(async (j) => (await producer.getJob(j.id))?.status));
    expect(states).toEqual(["completed", "completed", "failed", "completed", "completed"]);
    await waitFor(async () => (await client.hLen(keys.groupActive)) === 0, { what: "gactive empty" });
    expect(await client.exists([keys.groups, keys.groupWait, keys.group("g")])).toBe(0);
    expect(Number(await client.hGet(keys.meta, "gpending"))).toBe(0);
  });

  test("delayed jobs and dead-letter replays of a group come back to their group", async () => {
    const producer = producerQueue("gdelay");
    await producer.setGroupConcurrency(1);
    let fail = true;
    const seen: string[] = [];
    const w = worker(
      producer,
      {
        t: async ([name]: [string]) => {
          seen.push(name);
          if (name === "replayed" && fail) throw new Error("no");
          return name;
        },
      },
      2,
    );
    const delayed = await producer.enqueue("t", ["delayed"], { group: "g", delayMs: 200 });
    const replayed = await producer.enqueue("t", ["replayed"], { group: "g", maxRetries: 0 });
    await w.start();
    await waitFor(async () => (await producer.getJob(replayed.id))?.status === "failed", {
      what: "dead letter",
    });
    fail = false;
    expect(await producer.retry(replayed.id)).toBe(true);
    const done = await finished(producer, [delayed.id, replayed.id]);
    expect(done.map((j) => j.group)).toEqual(["g", "g"]);
  });
});

describe("groups cost nothing when unused", () => {
  test("a queue whose jobs have no group never creates a group key or counter", async () => {
    const producer = producerQueue("gnone");
    const client = await raw();
    const w = worker(
      producer,
      {
        ok: async () => "ok",
        fail: async () => {
          throw new Error("no");
        },
        hang: async (_args: unknown, ctx) => {
          await new Promise((resolve) => ctx.signal.addEventListener("abort", resolve, { once: true }));
        },
      },
      4,
    );
    await w.start();
    const jobs = await producer.enqueueMany([
      { task: "ok" },
      { task: "fail", opts: { maxRetries: 1, backoff: { type: "fixed", delayMs: 0 } } },
      { task: "ok", opts: { delayMs: 50 } },
    ]);
    const hang = await producer.enqueue("hang");
    const pending = await producer.enqueue("ok", [], { delayMs: 60_000 });
    await waitFor(
      async () => {
        const infos = await Promise.all(jobs.map((j) => producer.getJob(j.id)));
        return infos.every((j) => j?.status === "completed" || j?.status === "failed");
      },
      { what: "the jobs to finish" },
    );
    await producer.retry(jobs[1]?.id as string);
    await producer.cancel(hang.id);
    await producer.cancel(pending.id);
    await producer.stats();
    await producer.groups();
    const base = `${producer.prefix}:{${producer.name}}:`;
    const keys: string[] = [];
    for await (const batch of client.scanIterator({ MATCH: `${base}*`, COUNT: 1000 })) keys.push(...batch);
    expect(keys).toContain(`${base}meta`);
    const groupish = keys.filter((k) => /:(group:|gstarts:|groups$|gactive$|gwait$)/.test(k));
    expect(groupish).toEqual([]);
    const meta = await client.hGetAll(`${base}meta`);
    expect(Object.keys(meta).filter((f) => /^g(pending|seq|turn|flip|conc|rlMax|rlMs)$/.test(f))).toEqual([]);
  });
});
