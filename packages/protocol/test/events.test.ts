import { uniquePrefix, uniqueQueue } from "@tq/testing";
import { createClient } from "redis";
import { afterAll, beforeAll, describe, expect, inject, test } from "vitest";
import {
  decodeEventEntry,
  enqueue,
  parseXRead,
  prepareJob,
  queueKeys,
  type ScriptSender,
  THROUGHPUT_WINDOW_MINUTES,
  take,
} from "../src/index.js";

const client = createClient({ url: inject("redisUrl") });
client.on("error", () => {});
const sender: ScriptSender = { send: (args) => client.sendCommand([...args]) as never };

beforeAll(async () => {
  await client.connect();
});
afterAll(async () => {
  await client.close();
});

const newQueue = () => queueKeys(uniqueQueue("events"), uniquePrefix());

async function events(stream: string) {
  const reply = await client.sendCommand(["XREAD", "STREAMS", stream, "0-0"]);
  return parseXRead(reply, stream).flatMap(decodeEventEntry);
}

describe("event entries and throughput counters", () => {
  test("one entry per kind per call, with the per-job detail; completed/failed counted per minute", async () => {
    const k = newQueue();
    const jobs = ["a", "b", "c"].map((id) => prepareJob("send", [id], { jobId: id, maxRetries: 0 }, 1024));
    await enqueue(sender, k, { jobs });
    const claimed = await take(sender, k, { workerId: "w-1", leaseMs: 30_000, claim: 3, acks: [] });
    const [a, b, c] = claimed.claimed;
    const error = JSON.stringify({ name: "Error", message: "x".repeat(1000), stack: "long" });
    await take(sender, k, {
      workerId: "w-1",
      leaseMs: 30_000,
      claim: 0,
      acks: [
        { id: a?.id ?? "", token: a?.token ?? "", op: "c", payload: "1" },
        { id: b?.id ?? "", token: b?.token ?? "", op: "c", payload: "2" },
        { id: c?.id ?? "", token: c?.token ?? "", op: "f", payload: error },
      ],
    });
    expect(Number(await client.xLen(k.events))).toBe(4);
    const seen = await events(k.events);
    expect(seen.map((e) => `${e.type} ${e.jobId}`)).toEqual([
      "enqueued a",
      "enqueued b",
      "enqueued c",
      "started a",
      "started b",
      "started c",
      "completed a",
      "completed b",
      "failed c",
    ]);
    expect(seen[3]).toMatchObject({ task: "send", attempt: 1, workerId: "w-1" });
    const failed = seen[8];
    expect(failed).toMatchObject({ task: "send", attempt: 1, workerId: "w-1", error: { name: "Error" } });
    expect(failed?.error?.message.length).toBe(256);
    expect(new Set(seen.map((e) => e.id)).size).toBe(seen.length);

    const counts = await client.hGetAll(k.throughput);
    const minute = Math.floor(Number(failed?.at) / 60_000);
    expect(counts).toEqual({ [`c:${minute}`]: "2", [`f:${minute}`]: "1" });
    expect(Number(await client.pTTL(k.throughput))).toBeGreaterThan(0);
  });

  test("the first count of a minute drops the minutes that left the window", async () => {
    const k = newQueue();
    const [seconds] = (await client.sendCommand(["TIME"])) as [string, string];
    const minute = Math.floor((Number(seconds) * 1000) / 60_000);
    const stale = `c:${minute - THROUGHPUT_WINDOW_MINUTES}`;
    const kept = `c:${minute - THROUGHPUT_WINDOW_MINUTES + 1}`;
    await client.hSet(k.throughput, { [stale]: "5", [kept]: "7" });
    await enqueue(sender, k, { jobs: [prepareJob("t", [], { jobId: "j" }, 1024)] });
    const [j] = (await take(sender, k, { workerId: "w", leaseMs: 30_000, claim: 1, acks: [] })).claimed;
    await take(sender, k, {
      workerId: "w",
      leaseMs: 30_000,
      claim: 0,
      acks: [{ id: "j", token: j?.token ?? "", op: "c", payload: "1" }],
    });
    const fields = Object.keys(await client.hGetAll(k.throughput));
    expect(fields).not.toContain(stale);
    // a minute boundary may fall between TIME and the script: then `kept` is out too
    expect(fields.filter((f) => f !== kept)).toHaveLength(1);
  });
});
