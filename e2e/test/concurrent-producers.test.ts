import { byJob, closeScenarios, startScenario } from "@tq/harness";
import { waitFor } from "@tq/testing";
import { afterEach, expect, test } from "vitest";

afterEach(closeScenarios);

test("50 producers in 10 processes racing the same job ids: exactly one job per id, each runs once", async () => {
  const s = await startScenario();
  const ids = Array.from({ length: 200 }, (_, i) => `order-${i}`);
  // 10 processes with 5 Queue instances each, every one on its own connection; released at once.
  const producers = await Promise.all(
    Array.from({ length: 10 }, () => s.startProducer({ ids, producers: 5 })),
  );
  expect((await s.admin.clientList()).length).toBeGreaterThanOrEqual(50);
  const workers = await Promise.all([s.startWorker({ concurrency: 4 }), s.startWorker({ concurrency: 4 })]);
  for (const p of producers) p.send("go");
  const reports = await Promise.all(
    producers.map((p) => p.waitForEvent((e) => e.event === "done", { what: "the producer to finish" })),
  );
  for (const p of producers) expect(await p.exited).toEqual({ code: 0, signal: null });

  // Each id was created by exactly one producer; every other enqueue of it returned the existing job.
  const creations = reports.flatMap((r) => r.created ?? []);
  expect(creations.sort()).toEqual([...ids].sort());

  await waitFor(async () => (await s.completedCount()) === ids.length, {
    what: "every job to complete",
    timeoutMs: 90_000,
  });
  const jobKeys = await s.admin.keys(`${s.keys.base}job:*`);
  expect(jobKeys.length).toBe(ids.length);
  const infos = await s.jobs(ids);
  expect(infos.filter((j) => j.status !== "completed" || j.attempts !== 1)).toEqual([]);
  expect(await s.queue.counts()).toEqual({
    scheduled: 0,
    pending: 0,
    active: 0,
    completed: ids.length,
    failed: 0,
  });
  const runs = byJob(s.runs());
  expect([...runs.keys()].sort()).toEqual([...ids].sort());
  expect([...runs.values()].filter((r) => r.length !== 1)).toEqual([]);
  for (const w of workers) expect(w.alive).toBe(true);
});
