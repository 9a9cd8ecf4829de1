import { type ChildProcess, spawn } from "node:child_process";
import { Queue } from "@tq/client";
import { freePort, uniquePrefix, uniqueQueue, waitFor } from "@tq/testing";
import { afterEach, describe, expect, inject, test } from "vitest";
import { binPath, fixture } from "./pool-helpers.js";
import { parseExposition, sampleValue, sumOf } from "./prom-text.js";

const connection = inject("redisUrl");
const cleanup: Array<() => Promise<unknown> | unknown> = [];
afterEach(async () => {
  while (cleanup.length) await cleanup.pop()?.();
});

function runBin(args: string[]): { proc: ChildProcess; stdout: () => string } {
  const proc = spawn(process.execPath, [binPath, ...args], {
    env: { ...process.env, REDIS_URL: connection },
    stdio: ["ignore", "pipe", "inherit"],
  });
  let out = "";
  proc.stdout?.on("data", (chunk: Buffer) => {
    out += chunk.toString();
  });
  cleanup.push(() => {
    if (proc.exitCode === null && proc.signalCode === null) proc.kill("SIGKILL");
  });
  return { proc, stdout: () => out };
}

async function scrape(port: number) {
  const res = await fetch(`http://127.0.0.1:${port}/metrics`);
  expect(res.status).toBe(200);
  expect(res.headers.get("content-type")).toMatch(/^text\/plain/);
  return parseExposition(await res.text());
}

describe("tq-worker --metrics-port", () => {
  test("serves /metrics while jobs run and after: queue series from Redis, every child's histograms summed", async () => {
    const queue = uniqueQueue("metrics-bin");
    const prefix = uniquePrefix();
    const producer = new Queue(queue, { connection, prefix });
    cleanup.push(() => producer.close());
    const port = await freePort();
    const bin = runBin([
      "--queue",
      queue,
      "--prefix",
      prefix,
      "--processes",
      "2",
      "--concurrency",
      "2",
      "--metrics-port",
      String(port),
      fixture("pool-tasks.mjs"),
    ]);
    await waitFor(() => bin.stdout().includes(`/metrics on port ${port}`), { timeoutMs: 30_000 });

    const runs = 24;
    const ids: string[] = [];
    for (let i = 0; i < runs; i++) ids.push((await producer.enqueue("sleep", [100])).id);
    const q = { queue };

    // While they run: some are active or still waiting, and the histograms already have some runs.
    const during = await waitFor(async () => {
      const s = await scrape(port);
      const done = sumOf(s, "tq_job_run_seconds_count", { ...q, task: "sleep" });
      const waiting =
        sampleValue(s, "tq_jobs", { ...q, state: "active" }) +
        sampleValue(s, "tq_jobs", { ...q, state: "pending" });
      return done > 0 && waiting > 0 ? s : null;
    });
    expect(sampleValue(during, "tq_up")).toBe(1);
    expect(sampleValue(during, "tq_workers", q)).toBe(2);

    const results = await Promise.all(ids.map((id) => producer.waitForResult(id, { timeoutMs: 60_000 })));
    const pids = new Set(results.map((r) => (r as { pid: number }).pid));
    // Both children ran jobs: the sum below is over both of their histograms.
    expect(pids.size).toBe(2);

    const after = await waitFor(async () => {
      const s = await scrape(port);
      return sumOf(s, "tq_job_run_seconds_count", { ...q, task: "sleep" }) === runs ? s : null;
    });
    expect(sampleValue(after, "tq_job_run_seconds_count", { ...q, task: "sleep" })).toBe(runs);
    expect(sampleValue(after, "tq_job_wait_seconds_count", { ...q, task: "sleep" })).toBe(runs);
    expect(sampleValue(after, "tq_job_run_seconds_bucket", { ...q, task: "sleep", le: "+Inf" })).toBe(runs);
    // Each run slept 100 ms: the merged sum is at least that per run.
    expect(sampleValue(after, "tq_job_run_seconds_sum", { ...q, task: "sleep" })).toBeGreaterThanOrEqual(
      runs * 0.1,
    );
    expect(sampleValue(after, "tq_job_run_seconds_bucket", { ...q, task: "sleep", le: "0.05" })).toBe(0);
    expect(sampleValue(after, "tq_jobs", { ...q, state: "completed" })).toBe(runs);
    expect(sampleValue(after, "tq_jobs", { ...q, state: "pending" })).toBe(0);
    expect(sampleValue(after, "tq_oldest_pending_age_seconds", q)).toBe(0);
    expect(after.types.get("tq_job_run_seconds")).toBe("histogram");
    expect(sampleValue(after, "tq_jobs_enqueued_total", q)).toBe(runs);
    expect(sampleValue(after, "tq_jobs_completed_total", q)).toBe(runs);
    expect(sampleValue(after, "tq_jobs_failed_total", q)).toBe(0);
    expect((await fetch(`http://127.0.0.1:${port}/healthz`)).status).toBe(404);

    bin.proc.kill("SIGTERM");
    await new Promise((resolve) => bin.proc.once("exit", resolve));
  });

  test("the same port as --health-port serves /healthz and /metrics from one server", async () => {
    const queue = uniqueQueue("metrics-shared");
    const prefix = uniquePrefix();
    const port = await freePort();
    const bin = runBin([
      "--queue",
      queue,
      "--prefix",
      prefix,
      "--processes",
      "1",
      "--health-port",
      String(port),
      "--metrics-port",
      String(port),
      fixture("pool-tasks.mjs"),
    ]);
    await waitFor(() => bin.stdout().includes(`/metrics on port ${port}`), { timeoutMs: 30_000 });
    expect((await fetch(`http://127.0.0.1:${port}/healthz`)).status).toBe(200);
    const scraped = await scrape(port);
    expect(sampleValue(scraped, "tq_workers", { queue })).toBe(1);
    expect(sampleValue(scraped, "tq_up")).toBe(1);
  });
});
