import { defineTask, type StandardSchemaV1 } from "@tq/job-schema";
import { queueKeys } from "@tq/protocol";
import { uniquePrefix, uniqueQueue, waitFor } from "@tq/testing";
import { Worker } from "@tq/worker";
import { expect, test } from "vitest";
import { connection, defer, queue, redis, scheduler } from "./support.js";

test("delayed jobs never start before their time on the Redis clock", async () => {
  const prefix = uniquePrefix();
  const name = uniqueQueue();
  const q = queue(name, prefix);
  const { scheduler: s } = scheduler(prefix);
  await s.start();
  const worker = new Worker(name, { ping: async () => "pong" }, { connection, prefix, concurrency: 8 });
  defer(() => worker.close());
  await worker.start();

  const ids: string[] = [];
  for (let i = 0; i < 300; i++) {
    const job = await s.schedule(name, "ping", (i * 7) % 1_500, [i]);
    expect(job).toMatchObject({ queue: name, task: "ping", created: true });
    ids.push(job.id);
  }
  await waitFor(async () => (await q.counts()).completed === ids.length, { what: "every job to complete" });
  const client = await redis();
  let checked = 0;
  for (const id of ids) {
    const [runAt, startedAt] = (await client.sendCommand([
      "HMGET",
      queueKeys(q.name, q.prefix).job(id),
      "runAt",
      "startedAt",
    ])) as [string | null, string];
    if (runAt === null) continue;
    checked++;
    expect(Number(startedAt)).toBeGreaterThanOrEqual(Number(runAt));
  }
  expect(checked).toBeGreaterThan(250);
});

test("schedule() stores a scheduled job that waits for its time, and checks contract args", async () => {
  const prefix = uniquePrefix();
  const name = uniqueQueue();
  const q = queue(name, prefix);
  const { scheduler: s } = scheduler(prefix);
  const job = await s.schedule(name, "send_email", 60_000, ["user@example.com", "Delayed welcome"], {
    priority: "high",
  });
  const info = await q.getJob(job.id);
  expect(info).toMatchObject({
    status: "scheduled",
    task: "send_email",
    args: ["user@example.com", "Delayed welcome"],
    priority: "high",
  });
  expect(info?.runAt).toBeGreaterThan(info?.createdAt as number);

  const stringArgs: StandardSchemaV1<[string], [string]> = {
    "~standard": {
      version: 1,
      vendor: "test",
      validate: (value) =>
        Array.isArray(value) && typeof value[0] === "string"
          ? { value: value as [string] }
          : { issues: [{ message: "expected [string]" }] },
    },
  };
  const task = defineTask({ name: "typed", args: stringArgs });
  await expect(s.schedule(name, task, 10, [42] as unknown as [string])).rejects.toMatchObject({
    code: "VALIDATION",
  });
  expect(await s.schedule(name, task, 10, ["ok"])).toMatchObject({ task: "typed", created: true });
});
