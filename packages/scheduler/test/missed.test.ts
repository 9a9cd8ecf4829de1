import { uniquePrefix, uniqueQueue, waitFor } from "@tq/testing";
import { expect, test } from "vitest";
import type { MissedEvent, MissedTickPolicy } from "../src/index.js";
import { pendingIds, queue, redis, redisNow, scheduler } from "./support.js";

const MINUTE = 60_000;

/**
 * Creates an interval schedule and makes it look as if every scheduler had been down since `downForMs` ago: its
 * next fire time is moved into the past (the key layout is documented in docs/).
 */
async function missedSchedule(policy: MissedTickPolicy, downForMs: number, missedAfterMs?: number) {
  const prefix = uniquePrefix();
  const name = uniqueQueue();
  const q = queue(name, prefix);
  const s = scheduler(prefix);
  const missed: MissedEvent[] = [];
  s.scheduler.on("missed", (e) => missed.push(e));
  await s.scheduler.upsertSchedule(
    "minutely",
    { everyMs: MINUTE, missedTicks: policy, ...(missedAfterMs === undefined ? {} : { missedAfterMs }) },
    { queue: name, task: "report" },
  );
  const client = await redis();
  const due = (await redisNow(client)) - downForMs;
  await client.sendCommand(["ZADD", `{${prefix}:schedules}:next`, String(due), "minutely"]);
  return { ...s, q, missed, due };
}

test("fire-once: after an outage one job is enqueued for all the missed ticks, then the schedule resumes", async () => {
  const { scheduler: s, q, missed, fired, due } = await missedSchedule("fire-once", 2.5 * MINUTE);
  await s.start();
  await waitFor(() => missed.length === 1, { what: "the missed event" });
  expect(missed[0]).toEqual({
    schedule: "minutely",
    tickMs: due,
    policy: "fire-once",
    fired: true,
    nextRunAt: due + 3 * MINUTE,
  });
  expect(await pendingIds(q)).toEqual([`minutely:${due}`]);
  expect(fired.map((e) => e.jobId)).toEqual([`minutely:${due}`]);
  expect((await s.getSchedule("minutely"))?.nextRunAt).toBe(due + 3 * MINUTE);
});

test("skip: after an outage the missed ticks enqueue nothing and the schedule jumps to its next future tick", async () => {
  const { scheduler: s, q, missed, fired, due } = await missedSchedule("skip", 2.5 * MINUTE);
  await s.start();
  await waitFor(() => missed.length === 1, { what: "the missed event" });
  expect(missed[0]).toMatchObject({ tickMs: due, policy: "skip", fired: false, nextRunAt: due + 3 * MINUTE });
  expect(await pendingIds(q)).toEqual([]);
  expect(fired).toEqual([]);
  expect((await s.getSchedule("minutely"))?.nextRunAt).toBe(due + 3 * MINUTE);
});

test("skip drops a single tick found later than missedAfterMs; fire-once still fires it", async () => {
  const skip = await missedSchedule("skip", 10_000, 5_000);
  await skip.scheduler.start();
  await waitFor(() => skip.missed.length === 1, { what: "the missed event" });
  expect(skip.missed[0]).toMatchObject({ fired: false, nextRunAt: skip.due + MINUTE });
  expect(await pendingIds(skip.q)).toEqual([]);

  const once = await missedSchedule("fire-once", 10_000, 5_000);
  await once.scheduler.start();
  await waitFor(() => once.missed.length === 1, { what: "the missed event" });
  expect(once.missed[0]).toMatchObject({ fired: true, nextRunAt: once.due + MINUTE });
  expect(await pendingIds(once.q)).toEqual([`minutely:${once.due}`]);
});

test("a tick that fired once never fires again, even after its job is gone and a scheduler sees it due again", async () => {
  const { scheduler: s, q, fired, due } = await missedSchedule("fire-once", 1_000);
  await s.start();
  await waitFor(() => fired.length === 1, { what: "the tick" });
  await s.close();
  // The job is cancelled (as retention would delete it) and a stale view of the schedule comes back.
  expect(await q.cancel(`minutely:${due}`)).toBe(true);
  const client = await redis();
  await client.sendCommand(["ZADD", `{${q.prefix}:schedules}:next`, String(due), "minutely"]);

  const again = scheduler(q.prefix);
  await again.scheduler.start();
  await waitFor(async () => (await again.scheduler.getSchedule("minutely"))?.nextRunAt === due + MINUTE, {
    what: "the schedule to move on",
  });
  expect(again.fired).toEqual([]);
  expect(await pendingIds(q)).toEqual([]);
});
