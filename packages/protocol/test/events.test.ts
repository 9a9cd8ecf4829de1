import { uniquePrefix, uniqueQueue } from "@tq/testing";
import { createClient } from "redis";
import { afterAll, beforeAll, describe, expect, inject, test } from "vitest";
import {
  decodeEventEntry,
  enqueue,
  MAX_EVENT_IDS,
  MAX_EVENTS,
  MIN_EVENTS,
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
  test("one entry per call: ids for the hot kinds, detail for failures; totals and per-minute counts", async () => {
    const k = newQueue();
    const jobs = ["a", "b", "c", "d"].map((id) =>
      prepareJob("send", [id], { jobId: id, maxRetries: id === "d" ? 1 : 0 }, 1024),
    );
    await enqueue(sender, k, { jobs });
    const claimed = await take(sender, k, { workerId: "w-1", leaseMs: 30_000, claim: 4, acks: [] });
    const [a, b, c, d] = claimed.claimed;
    const error = JSON.stringify({ name: "Error", message: "é".repeat(1000), stack: "long" });
    await take(sender, k, {
      workerId: "w-2",
      leaseMs: 30_000,
      claim: 0,
      acks: [
        { id: a?.id ?? "", token: a?.token ?? "", op: "c", payload: "1" },
        { id: c?.id ?? "", token: c?.token ?? "", op: "f", payload: error },
        { id: b?.id ?? "", token: b?.token ?? "", op: "c", payload: "2" },
        { id: d?.id ?? "", token: d?.token ?? "", op: "f", payload: error, delayMs: 0 },
      ],
    });
    // enqueue, claim, acks: one entry each
    expect(Number(await client.xLen(k.events))).toBe(3);
    const raw = ((await client.xRange(k.events, "-", "+")) ?? []).map((e) => e.message);
    expect(raw[0]).toEqual({ enqueued: "a b c d" });
    expect(raw[1]).toEqual({ started: "a b c d", wid: "w-1" });
    expect(Object.keys(raw[2] ?? {})).toEqual([
      "completed",
      "failed",
      "failed.d",
      "retrying",
      "retrying.d",
      "wid",
    ]);

    const seen = await events(k.events);
    expect(seen.map((e) => `${e.type} ${e.jobId}`)).toEqual([
      "enqueued a",
      "enqueued b",
      "enqueued c",
      "enqueued d",
      "started a",
      "started b",
      "started c",
      "started d",
      "completed a",
      "completed b",
      "failed c",
      "retrying d",
    ]);
    expect(seen[0]).toEqual({
      id: expect.stringMatching(/^\d+-\d+:0$/),
      type: "enqueued",
      jobId: "a",
      at: expect.any(Number),
    });
    expect(seen[4]).toMatchObject({ workerId: "w-1" });
    expect(seen[4]?.task).toBeUndefined();
    expect(seen[8]).toMatchObject({ workerId: "w-2" });
    const failed = seen[10];
    expect(failed).toMatchObject({ task: "send", attempt: 1, workerId: "w-2", error: { name: "Error" } });
    // cut to 256 bytes at a character boundary: 128 two-byte characters
    expect(failed?.error?.message).toBe("é".repeat(128));
    expect(seen[11]).toMatchObject({ task: "send", attempt: 1, workerId: "w-2" });
    // event ids are unique and say where in the entry each is
    expect(new Set(seen.map((e) => e.id)).size).toBe(seen.length);
    expect(seen[11]?.id.endsWith(":3")).toBe(true);

    const counts = await client.hGetAll(k.throughput);
    const minute = Math.floor(Number(failed?.at) / 60_000);
    expect(counts).toEqual({ [`c:${minute}`]: "2", [`f:${minute}`]: "1" });
    const totals = await client.hmGet(k.meta, [
      "total:enqueued",
      "total:completed",
      "total:failed",
      "total:retrying",
    ]);
    // completed and failed jobs are counted once, in their minute; they move into meta when it leaves the window
    expect(totals).toEqual(["4", null, null, "1"]);
  });

  test("a minute that left the window moves into meta's total at the next count of its kind; none is lost", async () => {
    const k = newQueue();
    const [seconds] = (await client.sendCommand(["TIME"])) as [string, string];
    const minute = Math.floor((Number(seconds) * 1000) / 60_000);
    const gone = minute - THROUGHPUT_WINDOW_MINUTES;
    // what an idle queue left: two minutes out of the window, one in it, and a failed minute out of it
    await client.hSet(k.throughput, {
      [`c:${gone}`]: "5",
      [`c:${gone - 200}`]: "7",
      [`c:${minute - 1}`]: "3",
      [`f:${gone}`]: "4",
    });
    await enqueue(sender, k, { jobs: [prepareJob("send", [], { jobId: "x" }, 1024)] });
    const [x] = (await take(sender, k, { workerId: "w", leaseMs: 30_000, claim: 1, acks: [] })).claimed;
    await take(sender, k, {
      workerId: "w",
      leaseMs: 30_000,
      claim: 0,
      acks: [{ id: x?.id ?? "", token: x?.token ?? "", op: "c", payload: "" }],
    });
    const {
      [`c:${minute - 1}`]: inWindow,
      [`f:${gone}`]: failedLeft,
      ...rest
    } = await client.hGetAll(k.throughput);
    // the completed minutes out of the window moved (5 + 7); the failed one waits for the next failure
    expect([inWindow, failedLeft]).toEqual(["3", "4"]);
    // this completion's minute (the next one, if the clock turned a minute during the test)
    expect(Object.values(rest)).toEqual(["1"]);
    expect(await client.hGet(k.meta, "total:completed")).toBe("12");
    expect(await client.hGet(k.meta, "total:failed")).toBeNull();
  });

  test("the stream keeps about MAX_EVENT_IDS events, whether they come one per entry or 500 per entry", async () => {
    const k = newQueue();
    const idsIn = async () => {
      const entries = (await client.xRange(k.events, "-", "+")) ?? [];
      return entries.reduce((n, e) => n + (e.message.enqueued ?? "").split(" ").length, 0);
    };
    // one job per call: the entry cap applies (about MAX_EVENTS entries; MAXLEN ~ trims whole nodes)
    for (let i = 0; i < MAX_EVENTS + 500; i += 50) {
      await Promise.all(
        Array.from({ length: 50 }, (_, j) =>
          enqueue(sender, k, { jobs: [prepareJob("t", [], { jobId: `s${i + j}` }, 1024)] }),
        ),
      );
    }
    const single = Number(await client.xLen(k.events));
    expect(single).toBeGreaterThanOrEqual(MAX_EVENTS);
    expect(single).toBeLessThan(MAX_EVENTS + 200);
    // 500 jobs per call: the stream is trimmed to MAX_EVENT_IDS / 500 entries, so it holds about MAX_EVENT_IDS ids
    for (let i = 0; i < 40; i++) {
      const jobs = Array.from({ length: 500 }, (_, j) => prepareJob("t", [], { jobId: `b${i}-${j}` }, 1024));
      await enqueue(sender, k, { jobs });
    }
    const entries = Number(await client.xLen(k.events));
    expect(entries).toBeGreaterThanOrEqual(Math.max(MIN_EVENTS, MAX_EVENT_IDS / 500));
    const ids = await idsIn();
    expect(ids).toBeGreaterThanOrEqual(MAX_EVENT_IDS);
    // approximate trimming removes whole stream nodes, so a little more than the cap may stay
    expect(ids).toBeLessThanOrEqual(2 * MAX_EVENT_IDS);
  });

  test("entries of the earlier layout (e, id) still decode", () => {
    const seen = decodeEventEntry({ id: "5-1", fields: { e: "retried", id: "x y" } });
    expect(seen).toEqual([
      { id: "5-1:0", type: "enqueued", jobId: "x", at: 5 },
      { id: "5-1:1", type: "enqueued", jobId: "y", at: 5 },
    ]);
  });

  test("a field of an unknown kind is skipped but keeps the indexes of the kinds after it", () => {
    const seen = decodeEventEntry({
      id: "7-0",
      fields: { later: "p q", completed: "z", "progress.d": "not json" },
    });
    expect(seen).toEqual([{ id: "7-0:2", type: "completed", jobId: "z", at: 7 }]);
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
