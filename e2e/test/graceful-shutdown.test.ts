import { closeScenarios, startScenario } from "@tq/harness";
import { sleep, waitFor } from "@tq/testing";
import { afterEach, expect, test } from "vitest";

afterEach(closeScenarios);

test("SIGTERM lets the in-flight job finish and be acknowledged, claims nothing new, and exits 0", async () => {
  const s = await startScenario();
  const leaseMs = 1_000;
  const leaving = await s.startWorker({ concurrency: 2, leaseMs });
  // Runs until a job with id "gate-1" has started too: the test decides when it may finish.
  const inFlight = await s.queue.enqueue("rendezvous", { tag: "gate", n: 2 }, { jobId: "gate-0" });
  await waitFor(() => s.runs().some((e) => e.id === inFlight.id), {
    what: "the job to start",
    timeoutMs: 60_000,
  });

  leaving.signal("SIGTERM");
  await leaving.waitForEvent((e) => e.event === "closing", { what: "the worker to begin closing" });
  const staying = await s.startWorker({ concurrency: 2, leaseMs });
  // The leaving worker has a free slot; jobs enqueued now must all go to the other worker.
  const later = await s.queue.enqueueMany(
    Array.from({ length: 6 }, () => ({ task: "work", args: { ms: 10 } })),
  );
  for (const j of later) await s.queue.waitForResult(j.id, { timeoutMs: 60_000 });
  // Outlast the lease a few times over while the other worker would take back an expired one.
  await sleep(3 * leaseMs);
  expect(leaving.alive).toBe(true);
  await s.queue.enqueue("work", { ms: 10 }, { jobId: "gate-1" });

  expect(await leaving.exited).toEqual({ code: 0, signal: null });
  expect(leaving.events.map((e) => e.event)).toContain("closed");

  const [job] = await s.jobs([inFlight.id]);
  expect(job).toMatchObject({ status: "completed", attempts: 1, result: { pid: leaving.pid, attempt: 1 } });
  expect(job?.errors).toBeUndefined();

  await waitFor(async () => (await s.completedCount()) === 8, {
    what: "all jobs to complete",
    timeoutMs: 60_000,
  });
  const runs = s.runs();
  expect(runs.filter((e) => e.id === inFlight.id)).toEqual([
    { kind: "S", id: inFlight.id, pid: leaving.pid, attempt: 1, at: expect.any(Number) },
  ]);
  expect(runs.filter((e) => e.id !== inFlight.id).map((e) => e.pid)).toEqual(
    Array.from({ length: 7 }, () => staying.pid),
  );
  expect(staying.alive).toBe(true);
});
