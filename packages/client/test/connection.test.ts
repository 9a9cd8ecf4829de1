import { randomBytes } from "node:crypto";
import { freePort, uniquePrefix, uniqueQueue } from "@tq/testing";
import { createClient } from "redis";
import { describe, expect, inject, test } from "vitest";
import { isTqError, Queue, type TqError } from "../src/index.js";
import { Cleanup, claimAndFinish, errorJson, rawClient, scanKeys, take } from "./helpers.js";

const connection = inject("redisUrl");
const cleanup = new Cleanup();
const { hostname, port } = new URL(connection);

async function rejection(promise: Promise<unknown>): Promise<TqError> {
  try {
    await promise;
  } catch (error) {
    if (isTqError(error)) return error;
    throw error;
  }
  throw new Error("expected a TqError, the promise resolved");
}

/** Enqueues a job, completes it and waits for its result: one round of everything a producer does. */
async function roundTrip(queue: Queue): Promise<unknown> {
  const job = await queue.enqueue("t", ["x"]);
  const waiting = queue.waitForResult(job.id, { timeoutMs: 20_000 });
  await claimAndFinish(queue, [job.id], () => ({ op: "c", payload: '"ok"' }));
  return waiting;
}

describe("connection", () => {
  test("as a URL", async () => {
    const queue = cleanup.queue(new Queue(uniqueQueue("url"), { connection }));
    expect(await roundTrip(queue)).toBe("ok");
  });

  test("as a URL with a user and password", async () => {
    const raw = await rawClient(connection, cleanup);
    const user = `tq-${randomBytes(4).toString("hex")}`;
    await raw.sendCommand(["ACL", "SETUSER", user, "on", ">s3cret", "~*", "&*", "+@all"]);
    cleanup.add(() => raw.sendCommand(["ACL", "DELUSER", user]));
    const url = `redis://${user}:s3cret@${hostname}:${port}`;
    const queue = cleanup.queue(new Queue(uniqueQueue("auth"), { connection: url }));
    expect(await roundTrip(queue)).toBe("ok");
  });

  test("as node-redis client options", async () => {
    const queue = cleanup.queue(
      new Queue(uniqueQueue("opts"), { connection: { socket: { host: hostname, port: Number(port) } } }),
    );
    expect(await roundTrip(queue)).toBe("ok");
  });

  test.each([2, 3] as const)("as an existing RESP%i client, which tq uses but never closes", async (RESP) => {
    const client = createClient({ url: connection, RESP });
    client.on("error", () => {});
    await client.connect();
    cleanup.add(() => client.close());
    const queue = new Queue(uniqueQueue("own"), { connection: client });
    expect(await roundTrip(queue)).toBe("ok");
    expect(await queue.list("completed")).toHaveLength(1);
    await queue.close();
    expect(client.isOpen).toBe(true);
    expect(await client.ping()).toBe("PONG");
  });

  test("an existing client that is not connected is refused with CONNECTION", async () => {
    const client = createClient({ url: connection });
    client.on("error", () => {});
    const queue = cleanup.queue(new Queue(uniqueQueue("own"), { connection: client }));
    const error = await rejection(queue.enqueue("t", []));
    expect(error.code).toBe("CONNECTION");
    expect(error.message).toContain("connect()");
  });

  test("a port where nothing listens rejects with CONNECTION, not a hang", { timeout: 60_000 }, async () => {
    const dead = await freePort();
    const queue = cleanup.queue(new Queue(uniqueQueue("dead"), { connection: `redis://127.0.0.1:${dead}` }));
    const error = await rejection(queue.enqueue("t", []));
    expect(error.code).toBe("CONNECTION");
    expect(error.message).toContain(String(dead));
  });
});

describe("key layout", () => {
  test("every key the queue writes is under its {queue} hash tag (besides the queue registry)", async () => {
    const prefix = uniquePrefix();
    const name = uniqueQueue("keys");
    const queue = cleanup.queue(
      new Queue(name, {
        connection,
        prefix,
        retention: { completed: { count: 10 }, failed: { ageMs: 60_000 } },
      }),
    );
    const done = await queue.enqueue("t", []);
    const failed = await queue.enqueue("t", [], { maxRetries: 0 });
    const waiting = queue.waitForResult(done.id, { timeoutMs: 20_000 });
    await claimAndFinish(queue, [done.id, failed.id], (c) =>
      c.id === done.id ? { op: "c", payload: "1" } : { op: "f", payload: errorJson("x"), delayMs: -1 },
    );
    await waiting;
    await queue.enqueue("t", [], { priority: "high" });
    await queue.enqueue("t", [], { priority: "high" });
    await queue.enqueue("t", [], { priority: "low" });
    await queue.enqueue("t", []);
    await queue.enqueue("t", [], { delayMs: 60_000 });
    await take(queue, 1);
    await queue.pause();

    const raw = await rawClient(connection, cleanup);
    const keys = await scanKeys(raw, `${prefix}:*`);
    const tagged = keys.filter((k) => k.startsWith(`${prefix}:{${name}}:`));
    expect(keys.filter((k) => !tagged.includes(k))).toEqual([`${prefix}:queues`]);
    expect(await raw.sMembers(`${prefix}:queues`)).toEqual([name]);
    const k = queue.keys;
    for (const key of [
      k.pending.high,
      k.pending.low,
      k.scheduled,
      k.active,
      k.completed,
      k.failed,
      k.events,
      k.meta,
    ]) {
      expect(tagged).toContain(key);
    }
    expect(tagged.filter((key) => key.startsWith(`${k.base}job:`))).toHaveLength(7);
  });
});

describe("scripts", () => {
  test("survive SCRIPT FLUSH (a restart or failover empties the script cache)", async () => {
    const queue = cleanup.queue(new Queue(uniqueQueue("flush"), { connection }));
    const raw = await rawClient(connection, cleanup);
    const a = await queue.enqueue("t", []);
    await raw.sendCommand(["SCRIPT", "FLUSH"]);
    const b = await queue.enqueue("t", []);
    await raw.sendCommand(["SCRIPT", "FLUSH"]);
    expect((await take(queue, 2)).claimed.map((c) => c.id)).toEqual([a.id, b.id]);
    await raw.sendCommand(["SCRIPT", "FLUSH"]);
    const c = await queue.enqueue("t", [], { delayMs: 60_000 });
    await raw.sendCommand(["SCRIPT", "FLUSH"]);
    expect(await queue.cancel(c.id)).toBe(true);
    expect(await queue.counts()).toEqual({ scheduled: 0, pending: 0, active: 2, completed: 0, failed: 0 });
  });
});
