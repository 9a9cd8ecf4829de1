import { closeScenarios, type Scenario, startScenario, unexplainedExecutions } from "@tq/harness";
import { type NodeProcess, waitFor } from "@tq/testing";
import { afterEach, expect, test } from "vitest";

afterEach(closeScenarios);

/** Runs started by each worker process so far. */
function runsPerWorker(s: Scenario, workers: readonly NodeProcess[]): number[] {
  const runs = s.runs();
  return workers.map((w) => runs.filter((e) => e.pid === w.pid).length);
}

/** The ids of the clients blocked in BZPOPMIN (idle workers' blocking connections). */
async function blockedClientIds(s: Scenario): Promise<string[]> {
  const list = await s.admin.clientList();
  return list.filter((c) => c.cmd === "bzpopmin").map((c) => String(c.id));
}

/** Both workers drain cleanly on SIGTERM after everything else: they are still alive and in control. */
async function stopGracefully(workers: readonly NodeProcess[]): Promise<void> {
  for (const w of workers) expect(w.alive).toBe(true);
  for (const w of workers) w.signal("SIGTERM");
  for (const w of workers) expect(await w.exited).toEqual({ code: 0, signal: null });
}

test("CLIENT KILL TYPE normal, again and again under load, loses no job and every worker resumes", async () => {
  const s = await startScenario();
  const total = 5_000;
  const concurrency = 8;
  // A claim whose reply a kill cut off is only taken back when its lease expires: keep leases short.
  const leaseMs = 5_000;
  const workers = await Promise.all([
    s.startWorker({ concurrency, leaseMs }),
    s.startWorker({ concurrency, leaseMs }),
  ]);
  const jobs = [];
  // enqueueMany takes at most 1,000 jobs per call
  for (let i = 0; i < total; i += 1_000) {
    jobs.push(
      ...(await s.queue.enqueueMany(
        Array.from({ length: 1_000 }, () => ({ task: "work", args: { ms: 5 } })),
      )),
    );
  }

  let kills = 0;
  for (;;) {
    const completed = await s.completedCount();
    // Stop while enough backlog remains for every worker to show it resumed.
    if (completed > total - 1_000) break;
    const before = runsPerWorker(s, workers);
    await s.admin.sendCommand(["CLIENT", "KILL", "TYPE", "normal"]);
    kills++;
    // Every worker starts more runs than one claim reply issued before the kill could hold: it claimed again.
    await waitFor(() => runsPerWorker(s, workers).every((n, i) => n > (before[i] ?? 0) + concurrency), {
      what: `every worker to consume again after kill #${kills}`,
      timeoutMs: 60_000,
    });
  }
  expect(kills).toBeGreaterThanOrEqual(5);
  expect(workers.flatMap((w) => w.events).filter((e) => e.event === "error").length).toBeGreaterThan(0);

  await waitFor(async () => (await s.completedCount()) === total, {
    what: "every job to complete",
    timeoutMs: 90_000,
  });
  const infos = await s.jobs(jobs.map((j) => j.id));
  expect(infos.filter((j) => j.status !== "completed")).toEqual([]);
  expect(await s.queue.counts()).toEqual({
    scheduled: 0,
    pending: 0,
    active: 0,
    completed: total,
    failed: 0,
  });
  expect(unexplainedExecutions(infos, s.ledger())).toEqual([]);
  await stopGracefully(workers);
});

test("CLIENT KILL of only the blocking connections of idle workers: each worker wakes for the next jobs", async () => {
  const s = await startScenario();
  const workers = await Promise.all([s.startWorker({ concurrency: 1 }), s.startWorker({ concurrency: 1 })]);
  const ids: string[] = [];
  const killed = new Set<string>();
  for (let round = 0; round < 6; round++) {
    // Both workers idle, each blocked on its own connection that was not killed before.
    const blocked = await waitFor(
      async () => {
        const fresh = (await blockedClientIds(s)).filter((id) => !killed.has(id));
        return fresh.length === workers.length ? fresh : undefined;
      },
      { what: `both workers to block (round ${round})`, timeoutMs: 60_000 },
    );
    for (const id of blocked) {
      expect(await s.admin.sendCommand(["CLIENT", "KILL", "ID", id])).toBe(1);
      killed.add(id);
    }
    // Two jobs that wait for each other: they finish only if both workers claim one.
    const tag = `r${round}`;
    const pair = await s.queue.enqueueMany(
      ["a", "b"].map((n) => ({ task: "rendezvous", args: { tag, n: 2 }, opts: { jobId: `${tag}-${n}` } })),
    );
    for (const j of pair) await s.queue.waitForResult(j.id, { timeoutMs: 60_000 });
    ids.push(...pair.map((j) => j.id));
    const pids = s
      .runs()
      .filter((e) => e.id.startsWith(`${tag}-`))
      .map((e) => e.pid)
      .sort();
    expect(pids).toEqual(workers.map((w) => w.pid).sort());
  }
  const infos = await s.jobs(ids);
  expect(infos.filter((j) => j.status !== "completed")).toEqual([]);
  expect(unexplainedExecutions(infos, s.ledger())).toEqual([]);

  // Once more with every normal connection killed while the workers idle.
  await waitFor(async () => (await blockedClientIds(s)).filter((id) => !killed.has(id)).length === 2, {
    what: "both workers to block again",
    timeoutMs: 60_000,
  });
  await s.admin.sendCommand(["CLIENT", "KILL", "TYPE", "normal"]);
  const pair = await s.queue.enqueueMany(
    ["a", "b"].map((n) => ({ task: "rendezvous", args: { tag: "all", n: 2 }, opts: { jobId: `all-${n}` } })),
  );
  for (const j of pair) await s.queue.waitForResult(j.id, { timeoutMs: 60_000 });
  await stopGracefully(workers);
});
