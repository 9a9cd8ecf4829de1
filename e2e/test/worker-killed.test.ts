import { byJob, closeScenarios, startScenario, unexplainedExecutions } from "@tq/harness";
import { waitFor } from "@tq/testing";
import { afterEach, expect, test } from "vitest";

afterEach(closeScenarios);

test("a worker process killed with SIGKILL mid-job: its jobs complete on the others after the lease expires, none lost", async () => {
  const s = await startScenario();
  const leaseMs = 1_000;
  const doomed = await s.startWorker({ concurrency: 4, leaseMs });
  // Its first run outlasts the test, so the doomed worker is certainly running it when killed.
  const long = await s.queue.enqueue("work", { ms: 10, firstMs: 600_000 });
  await waitFor(() => s.runs().some((e) => e.id === long.id), {
    what: "the long job to start",
    timeoutMs: 60_000,
  });
  const others = await Promise.all([
    s.startWorker({ concurrency: 4, leaseMs }),
    s.startWorker({ concurrency: 4, leaseMs }),
  ]);
  const short = await s.queue.enqueueMany(
    Array.from({ length: 400 }, () => ({ task: "work", args: { ms: 20 } })),
  );
  // Kill it while the short jobs flow through all three workers.
  await waitFor(
    () => {
      const runs = s.runs();
      return [doomed, ...others].every((w) => runs.filter((e) => e.pid === w.pid).length >= 10);
    },
    { what: "every worker to be busy", timeoutMs: 60_000, intervalMs: 5 },
  );

  doomed.signal("SIGKILL");
  expect(await doomed.exited).toEqual({ code: null, signal: "SIGKILL" });

  const ids = [long.id, ...short.map((j) => j.id)];
  await waitFor(async () => (await s.completedCount()) === ids.length, {
    what: "every job to complete",
    timeoutMs: 90_000,
  });
  const infos = await s.jobs(ids);
  expect(infos.filter((j) => j.status !== "completed")).toEqual([]);
  expect(await s.queue.counts()).toEqual({
    scheduled: 0,
    pending: 0,
    active: 0,
    completed: ids.length,
    failed: 0,
  });

  const ledger = s.runs();
  const runs = byJob(ledger);
  const otherPids = new Set(others.map((w) => w.pid));
  // The long job ran on the killed worker, then again on another after its lease expired.
  expect(runs.get(long.id)?.map((e) => e.pid === doomed.pid)).toEqual([true, false]);
  const [longInfo] = await s.jobs([long.id]);
  expect(longInfo?.errors?.map((e) => e.code)).toEqual(["LEASE_LOST"]);
  expect(otherPids.has((longInfo?.result as { pid: number } | undefined)?.pid ?? 0)).toBe(true);
  // Each stored result is that of the job's last recorded run.
  for (const info of infos) {
    const last = runs.get(info.id)?.at(-1);
    expect(info.result).toEqual({ pid: last?.pid, attempt: last?.attempt, clock: expect.any(Number) });
  }
  // Every job the killed worker had in flight finished on another worker.
  const taken = infos.filter((j) => (runs.get(j.id) ?? []).length > 1);
  expect(taken.length).toBeGreaterThanOrEqual(1);
  for (const job of taken) {
    const jobRuns = runs.get(job.id) ?? [];
    expect(jobRuns.slice(0, -1).every((e) => e.pid === doomed.pid)).toBe(true);
    expect(otherPids.has((job.result as { pid: number }).pid)).toBe(true);
  }
  // Duplicates only where a lease expired.
  expect(unexplainedExecutions(infos, ledger)).toEqual([]);
});
