import { uniquePrefix, uniqueQueue } from "@tq/testing";
import { describe, expect, inject, test } from "vitest";
import { Queue } from "../src/index.js";
import { Cleanup, keysOf, rawClient, rejection, scanKeys, take } from "./helpers.js";

const cleanup = new Cleanup();
const url = (): string => inject("redisUrl");

function newQueue(label: string): Queue {
  return cleanup.queue(new Queue(uniqueQueue(label), { connection: url(), prefix: uniquePrefix() }));
}

describe("enqueue with a group", () => {
  test("a bad group name is refused with VALIDATION before anything reaches Redis", async () => {
    const queue = newQueue("gbad");
    const raw = await rawClient(url(), cleanup);
    const bad: unknown[] = ["", "x".repeat(129), "é".repeat(65), "line\nbreak", "tab\there", 42, null];
    for (const group of bad) {
      const error = await rejection(queue.enqueue("t", [], { group } as never));
      expect(error.code, String(group)).toBe("VALIDATION");
      expect(error.message).toMatch(/^group must be/);
    }
    const many = await rejection(queue.enqueueMany([{ task: "t" }, { task: "t", opts: { group: "" } }]));
    expect(many.code).toBe("VALIDATION");
    expect(many.message).toMatch(/^enqueueMany item 1: group/);
    expect(await scanKeys(raw, `${queue.prefix}:{${queue.name}}:*`)).toEqual([]);
    // the cap is in bytes: 128 one-byte characters pass, as do 64 two-byte ones
    await queue.enqueue("t", [], { group: "x".repeat(128) });
    await queue.enqueue("t", [], { group: "é".repeat(64) });
    expect((await queue.counts()).pending).toBe(2);
  });

  test("JobInfo carries the group; a job without one has none", async () => {
    const queue = newQueue("ginfo");
    const grouped = await queue.enqueue("t", [], { group: "tenant-1" });
    const plain = await queue.enqueue("t", []);
    const delayed = await queue.enqueue("t", [], { group: "tenant-2", delayMs: 60_000 });
    expect((await queue.getJob(grouped.id))?.group).toBe("tenant-1");
    expect((await queue.getJob(plain.id))?.group).toBeUndefined();
    expect(await queue.getJob(delayed.id)).toMatchObject({ status: "scheduled", group: "tenant-2" });
  });
});

describe("counts, stats, groups() and list()", () => {
  test("grouped pending jobs count as pending, and groups() lists each group with its counts", async () => {
    const queue = newQueue("gcount");
    await queue.setGroupConcurrency(2, { rateLimit: { max: 5, durationMs: 1_000 } });
    await queue.enqueueMany(Array.from({ length: 3 }, () => ({ task: "t", opts: { group: "a" } })));
    await queue.enqueueMany(Array.from({ length: 2 }, () => ({ task: "t", opts: { group: "b" } })));
    await queue.enqueue("t", []);
    expect((await queue.counts()).pending).toBe(6);
    const { claimed } = await take(queue, 3);
    expect(claimed).toHaveLength(3);
    const stats = await queue.stats();
    expect(stats.counts).toMatchObject({ pending: 3, active: 3 });
    expect(stats.oldestPendingAgeMs).toBeGreaterThanOrEqual(0);
    expect(stats.limits).toMatchObject({
      groupConcurrency: 2,
      groupRateLimit: { max: 5, durationMs: 1_000 },
    });
    const page = await queue.groups();
    expect(page.cursor).toBeNull();
    const byName = Object.fromEntries(page.groups.map((g) => [g.name, g]));
    // the claim of 3 served both kinds and took turns between the groups: a, b, then the ungrouped job
    expect(byName).toEqual({
      a: { name: "a", pending: 2, active: 1 },
      b: { name: "b", pending: 1, active: 1 },
    });
    // pending lists the grouped jobs of the groups that can run, group by group
    const pending = await queue.list("pending");
    expect(pending.map((j) => j.group)).toEqual(["a", "a", "b"]);
    expect(pending.every((j) => j.status === "pending")).toBe(true);
  });

  test("groups() pages through many groups with a cursor, each group once", async () => {
    const queue = newQueue("gpages");
    // more than Redis keeps in a compact hash (512), which HSCAN returns whole
    const names = Array.from({ length: 1000 }, (_, i) => `g-${i}`);
    await queue.enqueueMany(names.map((group) => ({ task: "t", opts: { group } })));
    const seen: string[] = [];
    let cursor: string | undefined;
    let pages = 0;
    for (;;) {
      const page = await queue.groups({ cursor, limit: 100 });
      pages++;
      seen.push(...page.groups.map((g) => g.name));
      for (const g of page.groups) expect(g).toMatchObject({ pending: 1, active: 0 });
      if (!page.cursor) break;
      cursor = page.cursor;
    }
    expect(pages).toBeGreaterThan(1);
    expect(new Set(seen)).toEqual(new Set(names));
    expect(await rejection(queue.groups({ limit: 0 }))).toMatchObject({ code: "VALIDATION" });
    expect(await rejection(queue.groups({ cursor: "x" }))).toMatchObject({ code: "VALIDATION" });
  });
});

describe("cancel of grouped jobs", () => {
  test("a pending grouped job leaves its group; the last one takes the group out of the ring and the listing", async () => {
    const queue = newQueue("gcancel");
    const raw = await rawClient(url(), cleanup);
    const k = keysOf(queue);
    const [first, second] = await queue.enqueueMany([
      { task: "t", opts: { group: "g" } },
      { task: "t", opts: { group: "g" } },
    ]);
    expect(await queue.cancel(first?.id as string)).toBe(true);
    expect((await queue.counts()).pending).toBe(1);
    expect(await raw.zCard(k.group("g"))).toBe(1);
    expect(await queue.cancel(second?.id as string)).toBe(true);
    expect((await queue.counts()).pending).toBe(0);
    expect(await raw.exists([k.group("g"), k.groups, k.groupActive, k.groupWait])).toBe(0);
    expect((await queue.groups()).groups).toEqual([]);
    expect(Number(await raw.hGet(k.meta, "gpending"))).toBe(0);
  });

  test("cancelling a running grouped job frees its slot: the group's next job can be claimed", async () => {
    const queue = newQueue("gcancel-active");
    await queue.setGroupConcurrency(1);
    await queue.enqueueMany([
      { task: "t", opts: { group: "g" } },
      { task: "t", opts: { group: "g" } },
    ]);
    const first = await take(queue, 2);
    expect(first.claimed).toHaveLength(1);
    expect((await take(queue, 1)).claimed).toHaveLength(0);
    expect(await queue.cancel(first.claimed[0]?.id as string)).toBe(true);
    expect((await take(queue, 1)).claimed).toHaveLength(1);
  });

  test("bad group limits are refused before Redis", async () => {
    const queue = newQueue("glimits");
    expect(await rejection(queue.setGroupConcurrency(0))).toMatchObject({
      code: "VALIDATION",
      message: expect.stringMatching(/groupConcurrency/),
    });
    expect(
      await rejection(queue.setGroupConcurrency(2, { rateLimit: { max: 0, durationMs: 10 } })),
    ).toMatchObject({ code: "VALIDATION", message: expect.stringMatching(/groupRateLimit\.max/) });
    expect(await rejection(queue.setGroupRateLimit({ max: 1, durationMs: 1.5 }))).toMatchObject({
      code: "VALIDATION",
      message: expect.stringMatching(/groupRateLimit\.durationMs/),
    });
    expect((await queue.stats()).limits).toMatchObject({ groupConcurrency: null, groupRateLimit: null });
    // the rate limit is kept when only the concurrency changes, and removed by null
    await queue.setGroupConcurrency(3, { rateLimit: { max: 4, durationMs: 100 } });
    await queue.setGroupConcurrency(5);
    expect((await queue.stats()).limits).toMatchObject({
      groupConcurrency: 5,
      groupRateLimit: { max: 4, durationMs: 100 },
    });
    await queue.setGroupConcurrency(null, { rateLimit: null });
    expect((await queue.stats()).limits).toMatchObject({ groupConcurrency: null, groupRateLimit: null });
  });
});
