import { RedisConnection } from "@tq/connection";
import { queueKeys, take } from "@tq/protocol";
import { sleep, uniquePrefix, uniqueQueue, waitFor } from "@tq/testing";
import { expect, test } from "vitest";
import type { SweptEvent } from "../src/index.js";
import { connection, defer, queue, redis, scheduler } from "./support.js";

/** Claims jobs the way a worker does, with a short lease, and then never renews them: a worker that died. */
async function claimAndDie(prefix: string, name: string, leaseMs: number): Promise<string[]> {
  const c = await RedisConnection.open(connection);
  defer(() => c.close());
  const keys = queueKeys(name, prefix);
  const reply = await take(c, keys, { workerId: "dead-worker", leaseMs, claim: 10, acks: [] });
  return reply.claimed.map((c) => c.id);
}

test("with no worker running, the scheduler moves due delayed jobs to pending", async () => {
  const prefix = uniquePrefix();
  const name = uniqueQueue();
  const q = queue(name, prefix);
  const swept: SweptEvent[] = [];
  const { scheduler: s } = scheduler(prefix);
  s.on("swept", (e) => swept.push(e));
  await s.start();
  const job = await q.enqueue("send_email", ["user@example.com", "Delayed welcome"], { delayMs: 300 });
  expect((await q.getJob(job.id))?.status).toBe("scheduled");
  await waitFor(async () => (await q.getJob(job.id))?.status === "pending", { what: "promotion" });
  expect(swept).toContainEqual({ queue: name, promoted: 1, requeued: 0 });
});

test("with no worker running, the scheduler takes back expired leases", async () => {
  const prefix = uniquePrefix();
  const name = uniqueQueue();
  const q = queue(name, prefix);
  const retried = await q.enqueue("work", [], { maxRetries: 1 });
  const doomed = await q.enqueue("work", [], { maxRetries: 0 });
  expect((await claimAndDie(prefix, name, 200)).sort()).toEqual([retried.id, doomed.id].sort());
  expect((await q.getJob(retried.id))?.status).toBe("active");

  const { scheduler: s } = scheduler(prefix, { queues: [name] });
  await s.start();
  await waitFor(async () => (await q.getJob(retried.id))?.status === "pending", {
    what: "the lease reclaimed",
  });
  const back = await q.getJob(retried.id);
  expect(back?.errors?.[0]).toMatchObject({ code: "LEASE_LOST", attempt: 1 });
  await waitFor(async () => (await q.getJob(doomed.id))?.status === "failed", { what: "the dead letter" });
  expect((await q.getJob(doomed.id))?.error).toMatchObject({ code: "LEASE_LOST" });
});

test("with the queues option, only those queues are swept", async () => {
  const prefix = uniquePrefix();
  const swept = queue(uniqueQueue("swept"), prefix);
  const other = queue(uniqueQueue("other"), prefix);
  const { scheduler: s } = scheduler(prefix, { queues: [swept.name] });
  await s.start();
  const a = await swept.enqueue("t", [], { delayMs: 100 });
  const b = await other.enqueue("t", [], { delayMs: 100 });
  await waitFor(async () => (await swept.getJob(a.id))?.status === "pending", { what: "promotion" });
  await sleep(300);
  expect((await other.getJob(b.id))?.status).toBe("scheduled");
});

test("a job key of another type does not stop the sweep: that job is dead-lettered, the others move on", async () => {
  const prefix = uniquePrefix();
  const name = uniqueQueue();
  const q = queue(name, prefix);
  const bad = await q.enqueue("t", [], { delayMs: 200 });
  const good = await q.enqueue("t", [], { delayMs: 200 });
  const client = await redis();
  await client.sendCommand(["DEL", queueKeys(q.name, q.prefix).job(bad.id)]);
  await client.sendCommand(["SET", queueKeys(q.name, q.prefix).job(bad.id), "not a hash"]);
  const { scheduler: s, errors } = scheduler(prefix, { queues: [name] });
  await s.start();
  await waitFor(async () => (await q.getJob(good.id))?.status === "pending", { what: "the promotion" });
  const failed = await q.list("failed");
  expect(failed.map((j) => j.id)).toEqual([bad.id]);
  expect(failed[0]?.error).toMatchObject({ code: "DECODE" });
  expect(errors).toEqual([]);
});
