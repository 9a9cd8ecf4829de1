import { uniquePrefix, uniqueQueue, waitFor } from "@tq/testing";
import { expect, test } from "vitest";
import type { FiredEvent } from "../src/index.js";
import { pendingIds, queue, scheduler, tickOf } from "./support.js";

/** Every tick fired by exactly one instance: the fired events of all instances match the jobs one to one. */
function expectEachTickOnce(jobIds: string[], fired: FiredEvent[][]): void {
  const all = fired.flat().map((e) => e.jobId);
  expect(new Set(all).size).toBe(all.length);
  expect([...all].sort()).toEqual([...jobIds].sort());
}

test("an interval schedule fires each tick exactly once with three schedulers running", async () => {
  const prefix = uniquePrefix();
  const name = uniqueQueue();
  const q = queue(name, prefix);
  const instances = [scheduler(prefix), scheduler(prefix), scheduler(prefix)];
  const info = await instances[0]?.scheduler.upsertSchedule(
    "every-200",
    { everyMs: 200 },
    { queue: name, task: "ping" },
  );
  await Promise.all(instances.map((i) => i.scheduler.start()));
  await waitFor(async () => (await pendingIds(q)).length >= 10, { what: "ten ticks" });
  await Promise.all(instances.map((i) => i.scheduler.close()));

  const ids = await pendingIds(q);
  expectEachTickOnce(
    ids,
    instances.map((i) => i.fired),
  );
  const ticks = ids.map(tickOf).sort((a, b) => a - b);
  expect(ticks[0]).toBe(info?.nextRunAt);
  for (const tick of ticks) expect((tick - (info?.nextRunAt as number)) % 200).toBe(0);
  for (const i of instances) expect(i.errors).toEqual([]);
});

test("a seconds-level cron schedule fires each tick exactly once with three schedulers running", async () => {
  const prefix = uniquePrefix();
  const name = uniqueQueue();
  const q = queue(name, prefix);
  const instances = [scheduler(prefix), scheduler(prefix), scheduler(prefix)];
  await instances[0]?.scheduler.upsertSchedule(
    "each-second",
    { cron: "*/1 * * * * *" },
    { queue: name, task: "ping", args: ["cron"] },
  );
  await Promise.all(instances.map((i) => i.scheduler.start()));
  await waitFor(async () => (await pendingIds(q)).length >= 3, { what: "three ticks" });
  await Promise.all(instances.map((i) => i.scheduler.close()));

  const ids = await pendingIds(q);
  expectEachTickOnce(
    ids,
    instances.map((i) => i.fired),
  );
  for (const id of ids) {
    expect(id).toMatch(/^each-second:\d+$/);
    expect(tickOf(id) % 1000).toBe(0);
  }
});

test("a scheduler that replaces a closed one continues the schedule without firing a tick twice", async () => {
  const prefix = uniquePrefix();
  const name = uniqueQueue();
  const q = queue(name, prefix);
  const first = scheduler(prefix);
  await first.scheduler.upsertSchedule("every-250", { everyMs: 250 }, { queue: name, task: "ping" });
  await first.scheduler.start();
  await waitFor(() => first.fired.length >= 3, { what: "three ticks from the first scheduler" });
  await first.scheduler.close();

  const second = scheduler(prefix);
  // Every process may upsert its schedules at start-up: that must not restart or repeat them.
  await second.scheduler.upsertSchedule("every-250", { everyMs: 250 }, { queue: name, task: "ping" });
  await second.scheduler.start();
  await waitFor(() => second.fired.length >= 3, { what: "three ticks from the second scheduler" });
  await second.scheduler.close();

  const ids = await pendingIds(q);
  expectEachTickOnce(ids, [first.fired, second.fired]);
  const lastOfFirst = Math.max(...first.fired.map((e) => e.tickMs));
  for (const e of second.fired) expect(e.tickMs).toBeGreaterThan(lastOfFirst);
});

test("a schedule's jobs carry its group option into their group", async () => {
  const prefix = uniquePrefix();
  const name = uniqueQueue();
  const q = queue(name, prefix);
  const s = scheduler(prefix);
  await s.scheduler.upsertSchedule(
    "grouped",
    { everyMs: 100 },
    { queue: name, task: "ping", opts: { group: "tenant-7" } },
  );
  await s.scheduler.start();
  await waitFor(async () => (await q.counts()).pending >= 2, { what: "two ticks" });
  await s.scheduler.close();
  const page = await q.groups();
  expect(page.groups.map((g) => g.name)).toEqual(["tenant-7"]);
  const [job] = await q.list("pending", { limit: 1 });
  expect(job?.group).toBe("tenant-7");
  expect(s.errors).toEqual([]);
});
