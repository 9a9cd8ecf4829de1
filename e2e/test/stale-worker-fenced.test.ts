import { closeScenarios, startScenario } from "@tq/harness";
import { sleep, waitFor } from "@tq/testing";
import { afterEach, expect, test } from "vitest";

afterEach(closeScenarios);

test("a worker whose lease expired (SIGSTOP) cannot overwrite the result of the worker that took over", async () => {
  const s = await startScenario();
  const leaseMs = 1_000;
  const stale = await s.startWorker({ concurrency: 1, leaseMs });
  // The first run outlasts its lease; later runs are quick.
  const firstMs = 1_500;
  const job = await s.queue.enqueue("work", { ms: 10, firstMs });
  await waitFor(() => s.runs().some((e) => e.id === job.id), {
    what: "the job to start",
    timeoutMs: 60_000,
    intervalMs: 5,
  });
  stale.signal("SIGSTOP");
  const stoppedAt = Date.now();

  const successor = await s.startWorker({ concurrency: 1, leaseMs });
  const done = await waitFor(
    async () => {
      const [info] = await s.jobs([job.id]);
      return info?.status === "completed" ? info : undefined;
    },
    { what: "the successor to complete the job", timeoutMs: 60_000 },
  );
  expect(done.result).toEqual({ pid: successor.pid, attempt: 2, clock: expect.any(Number) });

  // Keep it stopped until its handler is due to return, so that on waking it finishes the run and sends its ack.
  await sleep(Math.max(0, stoppedAt + firstMs + 200 - Date.now()));
  const seen = stale.events.length;
  stale.signal("SIGCONT");
  // The stale worker finishes its run; its late ack is refused and it reports the lost lease.
  await stale.waitForEvent((e) => e.code === "LEASE_LOST" && (e.message ?? "").includes(job.id), {
    from: seen,
    what: "the stale worker to report its lost lease",
  });
  // Both workers keep going: a later job completes, so the stale worker's late ack has long been applied or refused.
  const later = await s.queue.enqueueMany(
    Array.from({ length: 4 }, () => ({ task: "work", args: { ms: 10 } })),
  );
  for (const j of later) await s.queue.waitForResult(j.id, { timeoutMs: 60_000 });

  const [final] = await s.jobs([job.id]);
  expect(final).toMatchObject({
    status: "completed",
    attempts: 2,
    result: { pid: successor.pid, attempt: 2 },
  });
  expect(final?.errors?.map((e) => e.code)).toEqual(["LEASE_LOST"]);
  expect(s.runs().filter((e) => e.id === job.id)).toEqual([
    { kind: "S", id: job.id, pid: stale.pid, attempt: 1, at: expect.any(Number) },
    { kind: "S", id: job.id, pid: successor.pid, attempt: 2, at: expect.any(Number) },
  ]);
  expect(stale.alive).toBe(true);
  expect(await s.queue.counts()).toMatchObject({ pending: 0, active: 0, completed: 5, failed: 0 });
});
