import { closeScenarios, crashAndRestartRedis, startScenario, unexplainedExecutions } from "@tq/harness";
import { sleep, waitFor } from "@tq/testing";
import { afterEach, expect, test } from "vitest";

afterEach(closeScenarios);

const durable = { redis: { appendonly: true, appendfsync: "always" } } as const;

test("Redis killed and restarted from its AOF under load: workers resume by themselves, every acknowledged job completes", async () => {
  const s = await startScenario(durable);
  const leaseMs = 3_000;
  const workers = await Promise.all([
    s.startWorker({ concurrency: 4, leaseMs }),
    s.startWorker({ concurrency: 4, leaseMs }),
  ]);
  const acknowledged: string[] = [];
  let producing = true;
  // One producer keeps enqueueing through the crash; only the enqueues that resolved were promised.
  const producer = (async () => {
    while (producing) {
      try {
        const job = await s.queue.enqueue("work", { ms: 5 });
        acknowledged.push(job.id);
      } catch {
        // refused or cut off by the crash: not acknowledged, so not promised
        await sleep(10);
      }
    }
  })();

  await waitFor(() => s.runs().length >= 300, {
    what: "work to be under way",
    timeoutMs: 60_000,
  });
  await crashAndRestartRedis(s, workers);
  const atRestart = acknowledged.length;
  await waitFor(() => acknowledged.length >= atRestart + 300, {
    what: "enqueues to succeed again",
    timeoutMs: 60_000,
  });
  await crashAndRestartRedis(s, workers);
  const atSecondRestart = acknowledged.length;
  await waitFor(() => acknowledged.length >= atSecondRestart + 300, {
    what: "enqueues to succeed again",
    timeoutMs: 60_000,
  });
  producing = false;
  await producer;

  // Some enqueues whose reply the crash cut off may have been stored too: wait until nothing is left to run.
  await waitFor(
    async () => {
      const counts = await s.queue.counts();
      return (
        counts.scheduled + counts.pending + counts.active === 0 && counts.completed >= acknowledged.length
      );
    },
    { what: "every job to finish", timeoutMs: 90_000, intervalMs: 100 },
  );
  const infos = await s.jobs(acknowledged);
  expect(infos.filter((j) => j.status !== "completed")).toEqual([]);
  expect(await s.queue.counts()).toMatchObject({ scheduled: 0, pending: 0, active: 0, failed: 0 });
  expect(unexplainedExecutions(infos, s.ledger())).toEqual([]);
  // The same processes did all of it.
  for (const w of workers) expect(w.alive).toBe(true);
});

test("an idle worker (queue empty while Redis restarts) picks up jobs enqueued after the restart", async () => {
  const s = await startScenario(durable);
  const workers = await Promise.all([s.startWorker({ concurrency: 1 }), s.startWorker({ concurrency: 1 })]);
  const before = await s.queue.enqueue("work", { ms: 1 });
  await s.queue.waitForResult(before.id, { timeoutMs: 60_000 });

  for (let round = 0; round < 3; round++) {
    await waitFor(
      async () => (await s.admin.clientList()).filter((c) => c.cmd === "bzpopmin").length === workers.length,
      { what: "both workers to idle on Redis", timeoutMs: 60_000 },
    );
    await crashAndRestartRedis(s, workers);
    // Jobs that wait for each other: they finish only if both workers consume again.
    const tag = `r${round}`;
    const pair = await s.queue.enqueueMany(
      ["a", "b"].map((n) => ({ task: "rendezvous", args: { tag, n: 2 }, opts: { jobId: `${tag}-${n}` } })),
    );
    for (const j of pair) await s.queue.waitForResult(j.id, { timeoutMs: 90_000 });
    const pids = s
      .runs()
      .filter((e) => e.id.startsWith(`${tag}-`))
      .map((e) => e.pid)
      .sort();
    expect(pids).toEqual(workers.map((w) => w.pid).sort());
  }
  for (const w of workers) expect(w.alive).toBe(true);
});
