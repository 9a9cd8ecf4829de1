import type { JobInfo } from "@tq/client";
import { closeScenarios, crashAndRestartRedis, type Scenario, startScenario } from "@tq/harness";
import { mostAtOnce, sleep, waitFor } from "@tq/testing";
import { afterEach, expect, test } from "vitest";

afterEach(closeScenarios);

const spansOf = (jobs: readonly JobInfo[]) =>
  jobs.map((j) => [j.startedAt as number, j.finishedAt as number] as const);

/** The group counters once the queue is idle: nothing active, nothing pending, no group in the ring or waiting. */
async function groupState(s: Scenario) {
  const k = s.keys;
  return {
    active: await s.admin.hGetAll(k.groupActive),
    pending: Number((await s.admin.hGet(k.meta, "gpending")) ?? 0),
    ring: await s.admin.zCard(k.groups),
    waiting: await s.admin.zCard(k.groupWait),
  };
}

const idle = { active: {}, pending: 0, ring: 0, waiting: 0 };

test("a worker killed holding a group's slots frees them with its leases; the group runs at full concurrency again", {
  timeout: 120_000,
}, async () => {
  const s = await startScenario({ label: "group-kill" });
  const leaseMs = 1_000;
  await s.queue.setGroupConcurrency(2);
  const doomed = await s.startWorker({ concurrency: 4, leaseMs });
  const long = await s.queue.enqueueMany(
    Array.from({ length: 2 }, () => ({
      task: "work",
      args: { ms: 10, firstMs: 600_000 },
      opts: { group: "g" },
    })),
  );
  await waitFor(() => s.runs().filter((e) => e.pid === doomed.pid).length >= 2, {
    what: "the doomed worker to hold both of the group's slots",
    timeoutMs: 60_000,
  });
  const other = await s.startWorker({ concurrency: 5, leaseMs });
  const short = await s.queue.enqueueMany(
    Array.from({ length: 30 }, () => ({ task: "work", args: { ms: 50 }, opts: { group: "g" } })),
  );
  // both slots are taken: the idle worker starts none of the group's jobs
  await sleep(500);
  expect(s.runs().filter((e) => e.pid === other.pid)).toEqual([]);
  expect(await s.admin.hGet(s.keys.groupActive, "g")).toBe("2");

  doomed.signal("SIGKILL");
  expect(await doomed.exited).toEqual({ code: null, signal: "SIGKILL" });
  const ids = [...long, ...short].map((j) => j.id);
  const infos = await s.completed(ids);
  expect(infos.filter((j) => j.status !== "completed")).toEqual([]);
  // never more than 2 at once, and 2 again once the leases ran out: no slot leaked
  expect(mostAtOnce(spansOf(infos))).toBe(2);
  for (const job of await s.jobs(long.map((j) => j.id)))
    expect(job.errors?.map((e) => e.code)).toEqual(["LEASE_LOST"]);
  expect(await groupState(s)).toEqual(idle);
});

test("group counters stay consistent through a Redis crash and restart from its AOF", {
  timeout: 120_000,
}, async () => {
  const s = await startScenario({
    label: "group-restart",
    redis: { appendonly: true, appendfsync: "always" },
  });
  await s.queue.setGroupConcurrency(2);
  const workers = await Promise.all([
    s.startWorker({ concurrency: 4, leaseMs: 3_000 }),
    s.startWorker({ concurrency: 4, leaseMs: 3_000 }),
  ]);
  const groups = ["a", "b", "c"];
  const jobs = await s.queue.enqueueMany(
    Array.from({ length: 60 }, (_, i) => ({
      task: "work",
      args: { ms: 20 },
      opts: { group: groups[i % groups.length] as string },
    })),
  );
  await waitFor(async () => (await s.completedCount()) >= 15, { what: "some jobs done", timeoutMs: 60_000 });
  await crashAndRestartRedis(s, workers);
  const infos = await s.completed(jobs.map((j) => j.id));
  for (const group of groups) {
    expect(mostAtOnce(spansOf(infos.filter((j) => j.group === group))), group).toBeLessThanOrEqual(2);
  }
  expect((await s.queue.stats()).limits.groupConcurrency).toBe(2);
  expect(await groupState(s)).toEqual(idle);
  expect((await s.queue.counts()).pending).toBe(0);
});

test("a pool child killed holding a group's slots: the pool fails its runs at once and the slots come back", {
  timeout: 120_000,
}, async () => {
  const s = await startScenario({ label: "group-pool-kill" });
  await s.queue.setGroupConcurrency(2);
  const handle = await s.startPool({ processes: 1, concurrency: 4, leaseMs: 60_000 });
  const long = await s.queue.enqueueMany(
    Array.from({ length: 2 }, () => ({
      task: "work",
      args: { ms: 10, firstMs: 600_000 },
      opts: { group: "g" },
    })),
  );
  await waitFor(() => s.runs().length >= 2, { what: "the child to hold both slots", timeoutMs: 60_000 });
  const short = await s.queue.enqueueMany(
    Array.from({ length: 20 }, () => ({ task: "work", args: { ms: 30 }, opts: { group: "g" } })),
  );
  const child = handle.online[0]?.pid as number;
  process.kill(child, "SIGKILL");
  const ids = [...long, ...short].map((j) => j.id);
  const infos = await s.completed(ids);
  expect(mostAtOnce(spansOf(infos))).toBe(2);
  // the pool reported the dead child's runs (its message names the process), not a lease that ran out
  for (const job of await s.jobs(long.map((j) => j.id))) {
    expect(job.stalls).toBe(1);
    expect(job.errors?.map((e) => e.message)).toEqual([expect.stringMatching(/^worker process \d+ died/)]);
  }
  expect(await groupState(s)).toEqual(idle);
});
