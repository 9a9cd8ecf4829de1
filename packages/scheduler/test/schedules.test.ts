import { isTqError } from "@tq/job-schema";
import { sleep, uniquePrefix, uniqueQueue, waitFor } from "@tq/testing";
import { expect, test } from "vitest";
import { Scheduler, type ScheduleTiming } from "../src/index.js";
import { connection, pendingIds, queue, scheduler } from "./support.js";

async function rejectsWith(promise: Promise<unknown>, pattern: RegExp): Promise<void> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(isTqError(error) && error.code).toBe("VALIDATION");
  expect((error as Error).message).toMatch(pattern);
}

test("upsert, get, list and remove schedules; they live in Redis and every instance sees them", async () => {
  const prefix = uniquePrefix();
  const name = uniqueQueue("reports");
  const { scheduler: a } = scheduler(prefix);
  const { scheduler: b } = scheduler(prefix);
  const created = await a.upsertSchedule(
    "nightly",
    { cron: "0 3 * * *", timezone: "Europe/Paris" },
    { queue: name, task: "generate_report", args: ["daily"], opts: { priority: "high" } },
  );
  expect(created).toMatchObject({
    name: "nightly",
    timing: { cron: "0 3 * * *", timezone: "Europe/Paris", missedTicks: "fire-once" },
    queue: name,
    task: "generate_report",
    args: ["daily"],
    opts: { priority: "high" },
  });
  expect(created.nextRunAt).toBeGreaterThan(created.createdAt);
  await a.upsertSchedule("every", { everyMs: 60_000 }, { queue: name, task: "ping" });

  const listed = await b.listSchedules();
  expect(listed.map((s) => s.name)).toEqual(["every", "nightly"]);
  expect(listed[1]).toEqual(created);
  expect(await b.getSchedule("nightly")).toEqual(created);

  expect(await b.removeSchedule("nightly")).toBe(true);
  expect(await a.removeSchedule("nightly")).toBe(false);
  expect(await a.getSchedule("nightly")).toBeNull();
  expect((await a.listSchedules()).map((s) => s.name)).toEqual(["every"]);
});

test("upserting again with the same timing keeps the next fire time; a new timing starts over", async () => {
  const prefix = uniquePrefix();
  const name = uniqueQueue();
  const { scheduler: s } = scheduler(prefix);
  const first = await s.upsertSchedule("tick", { everyMs: 60_000 }, { queue: name, task: "t", args: [1] });
  await sleep(20);
  const same = await s.upsertSchedule("tick", { everyMs: 60_000 }, { queue: name, task: "t", args: [1] });
  expect(same).toEqual(first);
  const newArgs = await s.upsertSchedule(
    "tick",
    { everyMs: 60_000, missedTicks: "skip" },
    { queue: name, task: "t", args: [2] },
  );
  expect(newArgs.nextRunAt).toBe(first.nextRunAt);
  expect(newArgs.args).toEqual([2]);
  expect(newArgs.timing.missedTicks).toBe("skip");
  expect(newArgs.createdAt).toBe(first.createdAt);
  const retimed = await s.upsertSchedule("tick", { everyMs: 120_000 }, { queue: name, task: "t" });
  expect(retimed.nextRunAt).toBe(retimed.updatedAt + 120_000);
});

test("bad schedules are refused with VALIDATION before anything is stored", async () => {
  const prefix = uniquePrefix();
  const { scheduler: s } = scheduler(prefix);
  const target = { queue: "q", task: "t" };
  await rejectsWith(
    s.upsertSchedule("a", { cron: "every day" }, target),
    /invalid cron expression "every day"/,
  );
  await rejectsWith(s.upsertSchedule("a", { cron: "* * 32 * *" }, target), /invalid cron expression/);
  await rejectsWith(
    s.upsertSchedule("a", { cron: "0 3 * * *", timezone: "Europe/Atlantis" }, target),
    /unknown time zone "Europe\/Atlantis"/,
  );
  await rejectsWith(s.upsertSchedule("a", { everyMs: 0 }, target), /everyMs must be a whole number .* > 0/);
  await rejectsWith(s.upsertSchedule("a", { everyMs: -1000 }, target), /everyMs/);
  await rejectsWith(
    s.upsertSchedule("a", { everyMs: 1000, cron: "* * * * *" } as unknown as ScheduleTiming, target),
    /exactly one of cron/,
  );
  await rejectsWith(
    s.upsertSchedule("a", { everyMs: 1000 }, { queue: "no spaces", task: "t" }),
    /queue name/,
  );
  await rejectsWith(s.upsertSchedule("a", { everyMs: 1000 }, { queue: "{q}", task: "t" }), /queue name/);
  await rejectsWith(s.upsertSchedule("a b", { everyMs: 1000 }, target), /schedule name/);
  await rejectsWith(s.upsertSchedule("a", { everyMs: 1000 }, { queue: "q", task: "" }), /task must be/);
  await rejectsWith(
    s.upsertSchedule("a", { everyMs: 1000 }, { queue: "q", task: "t", opts: { maxRetries: -1 } }),
    /maxRetries/,
  );
  await rejectsWith(
    s.upsertSchedule(
      "a",
      { everyMs: 1000 },
      {
        queue: "q",
        task: "t",
        opts: { jobId: "x" } as unknown as Record<string, never>,
      },
    ),
    /jobId or runAt/,
  );
  await rejectsWith(s.schedule("q", "t", -1), /delayMs/);
  await rejectsWith(s.schedule("bad queue", "t", 10), /queue name/);
  expect(await s.listSchedules()).toEqual([]);
  expect(() => new Scheduler({ connection, prefix: "{x}" })).toThrow(/prefix/);
  expect(() => new Scheduler({ connection, queues: ["ok", "not ok"] })).toThrow(/queue name/);
});

test("a removed schedule stops firing", async () => {
  const prefix = uniquePrefix();
  const name = uniqueQueue();
  const q = queue(name, prefix);
  const { scheduler: s, fired } = scheduler(prefix);
  await s.upsertSchedule("fast", { everyMs: 150 }, { queue: name, task: "t" });
  await s.start();
  await waitFor(() => fired.length >= 2, { what: "two ticks" });
  expect(await s.removeSchedule("fast")).toBe(true);
  await sleep(300); // a pass that read the schedule before the removal may still land its tick
  const settled = (await pendingIds(q)).length;
  const firedAtRemoval = fired.length;
  await sleep(1_000);
  expect((await pendingIds(q)).length).toBe(settled);
  expect(fired.length).toBe(firedAtRemoval);
  expect(await s.listSchedules()).toEqual([]);
});

test("scheduled jobs carry the schedule's args and options and ids <name>:<tick>", async () => {
  const prefix = uniquePrefix();
  const name = uniqueQueue();
  const q = queue(name, prefix);
  const { scheduler: s, fired } = scheduler(prefix);
  await s.upsertSchedule(
    "report",
    { everyMs: 200 },
    {
      queue: name,
      task: "generate_report",
      args: ["monthly", "2026-06"],
      opts: { priority: "low", maxRetries: 7 },
    },
  );
  await s.start();
  await waitFor(() => fired.length >= 1, { what: "a tick" });
  const first = fired[0];
  expect(first?.jobId).toBe(`report:${first?.tickMs}`);
  const job = await q.getJob(first?.jobId as string);
  expect(job).toMatchObject({
    task: "generate_report",
    args: ["monthly", "2026-06"],
    priority: "low",
    maxRetries: 7,
    status: "pending",
  });
});
