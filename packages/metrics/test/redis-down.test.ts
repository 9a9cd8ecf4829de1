import { Queue } from "@tq/client";
import { type RedisServer, startRedis, uniqueQueue, waitFor } from "@tq/testing";
import { Registry } from "prom-client";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { createMetrics } from "../src/index.js";

let redis: RedisServer;
beforeAll(async () => {
  redis = await startRedis();
});
afterAll(async () => {
  await redis?.stop();
});

/** The value of an unlabelled sample, or of one with exactly these labels, in a text exposition. */
function sample(text: string, line: string): number | undefined {
  const found = text.split("\n").find((l) => l.startsWith(`${line} `));
  return found === undefined ? undefined : Number(found.slice(line.length + 1));
}

describe("a scrape while Redis is down", () => {
  test("answers with tq_up 0 and a counted scrape error once Redis stops answering, and recovers after", async () => {
    const name = uniqueQueue("down");
    const queue = new Queue(name, { connection: redis.url });
    await queue.enqueue("t", []);
    await queue.close();
    const registry = new Registry();
    const metrics = createMetrics({ registry, connection: redis.url, queues: [name], scrapeTimeoutMs: 500 });
    try {
      const up = await registry.metrics();
      expect(sample(up, "tq_up")).toBe(1);
      expect(sample(up, `tq_jobs{queue="${name}",state="pending"}`)).toBe(1);
      expect(sample(up, "tq_scrape_errors_total")).toBe(0);

      // Frozen: the connection stays open, no reply ever comes. The scrape must not wait for one.
      redis.kill("SIGSTOP");
      let down: string;
      try {
        down = await registry.metrics();
      } finally {
        redis.kill("SIGCONT");
      }
      expect(sample(down, "tq_up")).toBe(0);
      expect(sample(down, "tq_scrape_errors_total")).toBe(1);
      expect(sample(down, `tq_jobs{queue="${name}",state="pending"}`)).toBeUndefined();
      expect(down).toContain("# TYPE tq_jobs gauge");

      await waitFor(async () => sample(await registry.metrics(), "tq_up") === 1);
    } finally {
      await metrics.close();
    }
  });

  test("a Redis that is not there at all: the scrape resolves with tq_up 0", async () => {
    const gone = await startRedis();
    const url = gone.url;
    await gone.stop();
    const registry = new Registry();
    const metrics = createMetrics({ registry, connection: url, scrapeTimeoutMs: 300 });
    try {
      const text = await registry.metrics();
      expect(sample(text, "tq_up")).toBe(0);
      expect(sample(text, "tq_scrape_errors_total")).toBe(1);
      const again = await registry.metrics();
      expect(sample(again, "tq_scrape_errors_total")).toBe(2);
    } finally {
      await metrics.close();
    }
  });
});
