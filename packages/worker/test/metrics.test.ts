import { createMetrics, type TqMetrics } from "@tq/metrics";
import { uniquePrefix, waitFor } from "@tq/testing";
import { Registry, register } from "prom-client";
import { afterEach, describe, expect, inject, test } from "vitest";
import { Harness } from "./helpers.js";
import { parseExposition, sampleValue, sumOf } from "./prom-text.js";

const connection = inject("redisUrl");
const h = new Harness(connection);
const opened: TqMetrics[] = [];
afterEach(async () => {
  while (opened.length) await opened.pop()?.close();
});

const API_NAMES = [
  "tq_jobs",
  "tq_oldest_pending_age_seconds",
  "tq_workers",
  "tq_jobs_enqueued_total",
  "tq_jobs_completed_total",
  "tq_jobs_failed_total",
  "tq_jobs_retried_total",
  "tq_jobs_stalled_total",
  "tq_job_wait_seconds",
  "tq_job_run_seconds",
];

describe("@tq/metrics with a Worker", () => {
  test("every series, with values that match the jobs that ran (some failed, some retried)", async () => {
    const queue = h.queue();
    const registry = new Registry();
    const metrics = createMetrics({ registry, connection, prefix: queue.prefix, queues: [queue.name] });
    opened.push(metrics);
    const worker = h.worker(queue.name, {
      ok: async () => "done",
      boom: async () => {
        throw new Error("always fails");
      },
      flaky: async (_args, ctx) => {
        if (ctx.attempt === 1) throw new Error("first run fails");
        return ctx.attempt;
      },
    });
    metrics.observe(worker);
    // Three jobs wait before any worker runs: the pending gauge and the oldest age see them.
    await queue.enqueue("ok", [], {});
    await queue.enqueue("ok", [], {});
    await queue.enqueue("flaky", [], { maxRetries: 1, backoff: { type: "fixed", delayMs: 10 } });
    const before = parseExposition(await registry.metrics());
    expect(sampleValue(before, "tq_jobs", { queue: queue.name, state: "pending" })).toBe(3);
    expect(
      sampleValue(before, "tq_oldest_pending_age_seconds", { queue: queue.name }),
    ).toBeGreaterThanOrEqual(0);
    expect(sampleValue(before, "tq_up")).toBe(1);

    await worker.start();
    await queue.enqueue("boom", [], { maxRetries: 0 });
    await queue.enqueue("ok", [], {});
    // 5 jobs: 4 complete (ok x3, flaky on its 2nd run), 1 fails; 6 runs in all, 1 retry.
    const after = await waitFor(async () => {
      const stats = await queue.stats();
      return stats.counts.completed === 4 && stats.counts.failed === 1 ? true : null;
    });
    expect(after).toBe(true);
    // The last handler ended before its ack reached Redis: the histogram has it by now.
    const text = await waitFor(async () => {
      const t = await registry.metrics();
      return sumOf(parseExposition(t), "tq_job_run_seconds_count") === 6 ? t : null;
    });
    const scraped = parseExposition(text);

    for (const name of API_NAMES) expect(scraped.types.has(name), name).toBe(true);
    expect(scraped.types.get("tq_jobs")).toBe("gauge");
    expect(scraped.types.get("tq_jobs_completed_total")).toBe("counter");
    expect(scraped.types.get("tq_job_run_seconds")).toBe("histogram");
    expect(scraped.types.get("tq_job_wait_seconds")).toBe("histogram");

    const q = { queue: queue.name };
    expect(sampleValue(scraped, "tq_jobs", { ...q, state: "completed" })).toBe(4);
    expect(sampleValue(scraped, "tq_jobs", { ...q, state: "failed" })).toBe(1);
    expect(sampleValue(scraped, "tq_jobs", { ...q, state: "pending" })).toBe(0);
    expect(sampleValue(scraped, "tq_jobs", { ...q, state: "active" })).toBe(0);
    expect(sampleValue(scraped, "tq_jobs", { ...q, state: "scheduled" })).toBe(0);
    expect(sampleValue(scraped, "tq_oldest_pending_age_seconds", q)).toBe(0);
    expect(sampleValue(scraped, "tq_workers", q)).toBe(1);
    expect(sampleValue(scraped, "tq_up")).toBe(1);
    expect(sampleValue(scraped, "tq_jobs_enqueued_total", q)).toBe(5);
    expect(sampleValue(scraped, "tq_jobs_completed_total", q)).toBe(4);
    expect(sampleValue(scraped, "tq_jobs_failed_total", q)).toBe(1);
    expect(sampleValue(scraped, "tq_jobs_retried_total", q)).toBe(1);
    expect(sampleValue(scraped, "tq_jobs_stalled_total", q)).toBe(0);

    // Runs per task: ok 3, flaky 2, boom 1; each run's wait is observed.
    const run = (task: string) => sampleValue(scraped, "tq_job_run_seconds_count", { ...q, task });
    expect([run("ok"), run("flaky"), run("boom")]).toEqual([3, 2, 1]);
    const wait = (task: string) => sampleValue(scraped, "tq_job_wait_seconds_count", { ...q, task });
    expect([wait("ok"), wait("flaky"), wait("boom")]).toEqual([3, 2, 1]);
    expect(sampleValue(scraped, "tq_job_run_seconds_bucket", { ...q, task: "ok", le: "+Inf" })).toBe(3);
    expect(sampleValue(scraped, "tq_job_wait_seconds_sum", { ...q, task: "ok" })).toBeGreaterThan(0);
  });

  test("every registered queue by default, in prom-client's global registry", async () => {
    const prefix = uniquePrefix();
    const a = h.queue(undefined, { prefix });
    const b = h.queue(undefined, { prefix });
    await a.enqueue("x", []);
    await b.enqueue("x", []);
    await b.enqueue("x", []);
    const metrics = createMetrics({ connection, prefix: a.prefix });
    opened.push(metrics);
    expect(metrics.registry).toBe(register);
    const scraped = parseExposition(await register.metrics());
    expect(sampleValue(scraped, "tq_jobs", { queue: a.name, state: "pending" })).toBe(1);
    expect(sampleValue(scraped, "tq_jobs", { queue: b.name, state: "pending" })).toBe(2);
    await metrics.close();
    opened.pop();
    expect(register.getSingleMetric("tq_jobs")).toBeUndefined();
  });

  test("bad options are refused with VALIDATION", () => {
    expect(() => createMetrics({ registry: new Registry(), queues: ["no spaces"] })).toThrow(
      expect.objectContaining({ code: "VALIDATION" }),
    );
    expect(() => createMetrics({ registry: new Registry(), scrapeTimeoutMs: 0 })).toThrow(
      expect.objectContaining({ code: "VALIDATION" }),
    );
    const registry = new Registry();
    opened.push(createMetrics({ registry, queueSeries: false }));
    expect(() => createMetrics({ registry, queueSeries: false })).toThrow(
      expect.objectContaining({ code: "VALIDATION" }),
    );
  });
});
