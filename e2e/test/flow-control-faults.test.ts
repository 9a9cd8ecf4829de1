import { closeScenarios, crashAndRestartRedis, startScenario } from "@tq/harness";
import { mostAtOnce, mostStartsInAnyWindow, sleep, waitFor } from "@tq/testing";
import { afterEach, expect, test } from "vitest";

afterEach(closeScenarios);

test("global concurrency: a worker killed holding every slot frees them with its leases; the queue runs at full concurrency again", {
  timeout: 120_000,
}, async () => {
  const s = await startScenario({ label: "conc-kill" });
  const leaseMs = 1_000;
  await s.queue.setConcurrency(3);
  const doomed = await s.startWorker({ concurrency: 3, leaseMs });
  const long = await s.queue.enqueueMany(
    Array.from({ length: 3 }, () => ({ task: "work", args: { ms: 10, firstMs: 600_000 } })),
  );
  await waitFor(() => s.runs().filter((e) => e.pid === doomed.pid).length >= 3, {
    what: "the doomed worker to hold every slot",
    timeoutMs: 60_000,
  });
  const other = await s.startWorker({ concurrency: 5, leaseMs });
  const short = await s.queue.enqueueMany(
    Array.from({ length: 60 }, () => ({ task: "work", args: { ms: 50 } })),
  );
  // every slot is taken: the idle worker starts nothing, however many jobs are pending
  await sleep(500);
  expect(s.runs().filter((e) => e.pid === other.pid)).toEqual([]);

  doomed.signal("SIGKILL");
  expect(await doomed.exited).toEqual({ code: null, signal: "SIGKILL" });
  const ids = [...long, ...short].map((j) => j.id);
  const infos = await s.completed(ids);
  expect(infos.filter((j) => j.status !== "completed")).toEqual([]);
  // each job's last run, claim to ack: never more than 3 at once, and 3 again once the leases ran out (no slot leaked)
  const spans = infos.map((j) => [j.startedAt as number, j.finishedAt as number] as const);
  expect(mostAtOnce(spans)).toBe(3);
  // the long jobs ran again after their lease expired
  for (const job of await s.jobs(long.map((j) => j.id)))
    expect(job.errors?.map((e) => e.code)).toEqual(["LEASE_LOST"]);
  expect((await s.queue.counts()).active).toBe(0);
});

test("a rate limit holds through a Redis crash and restart from its AOF: no window ever has more starts", {
  timeout: 120_000,
}, async () => {
  const s = await startScenario({
    label: "rate-restart",
    redis: { appendonly: true, appendfsync: "always" },
  });
  await s.queue.setRateLimit({ max: 4, durationMs: 300 });
  const workers = await Promise.all([
    s.startWorker({ concurrency: 4, leaseMs: 3_000 }),
    s.startWorker({ concurrency: 4, leaseMs: 3_000 }),
  ]);
  const jobs = await s.queue.enqueueMany(
    Array.from({ length: 60 }, () => ({ task: "work", args: { ms: 5 } })),
  );
  await waitFor(async () => (await s.completedCount()) >= 15, { what: "some jobs done", timeoutMs: 60_000 });
  await crashAndRestartRedis(s, workers);
  const infos = await s.completed(jobs.map((j) => j.id));
  expect((await s.queue.stats()).limits.rateLimit).toEqual({ max: 4, durationMs: 300 });
  expect(
    mostStartsInAnyWindow(
      infos.map((j) => j.startedAt as number),
      300,
    ),
  ).toBeLessThanOrEqual(4);
});
