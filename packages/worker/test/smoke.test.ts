import { Queue } from "@tq/client";
import { uniqueQueue } from "@tq/testing";
import { afterEach, expect, inject, test } from "vitest";
import { Worker } from "../src/index.js";

const connection = inject("redisUrl");
const cleanup: Array<() => Promise<void>> = [];
afterEach(async () => {
  while (cleanup.length) await cleanup.pop()?.();
});

test("runs the original three tasks end to end", async () => {
  const name = uniqueQueue("orig");
  const queue = new Queue(name, { connection });
  cleanup.push(() => queue.close());
  const seen: string[] = [];
  const worker = new Worker(
    name,
    {
      send_email: async ([to, subject]: [string, string]) => {
        seen.push(`email ${to} ${subject}`);
        return { delivered: true };
      },
      resize_image: async ([path, w, h]: [string, number, number]) => `${path}@${w}x${h}`,
      generate_report: async ([kind, period]: [string, string]) => ({ kind, period }),
    },
    { connection, concurrency: 2 },
  );
  cleanup.push(() => worker.close());
  await worker.start();
  const a = await queue.enqueue("send_email", ["user@example.com", "Welcome!"]);
  const b = await queue.enqueue("resize_image", ["/uploads/photo.jpg", 800, 600]);
  const c = await queue.enqueue("generate_report", ["monthly", "2026-06"]);
  expect(await queue.waitForResult(a.id, { timeoutMs: 5000 })).toEqual({ delivered: true });
  expect(await queue.waitForResult(b.id, { timeoutMs: 5000 })).toBe("/uploads/photo.jpg@800x600");
  expect(await queue.waitForResult(c.id, { timeoutMs: 5000 })).toEqual({
    kind: "monthly",
    period: "2026-06",
  });
  expect(seen).toEqual(["email user@example.com Welcome!"]);
  expect(await queue.counts()).toEqual({ scheduled: 0, pending: 0, active: 0, completed: 3, failed: 0 });
});
