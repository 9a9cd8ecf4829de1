import { uniquePrefix, uniqueQueue, waitFor } from "@tq/testing";
import { createClient } from "redis";
import { afterAll, beforeAll, describe, expect, inject, test } from "vitest";
import {
  ACK_OUTCOME,
  advanceSchedules,
  cancel,
  dueSchedules,
  ENQUEUE_OUTCOME,
  enqueue,
  extend,
  FIRE_OUTCOME,
  fire,
  NEXT_WAKE_NONE,
  NEXT_WAKE_NOT_COMPUTED,
  PROGRESS_REPLY,
  parseCancelMessage,
  prepareJob,
  progress,
  purge,
  queueKeys,
  removeSchedule,
  resume,
  retry,
  type ScriptSender,
  scheduleKeys,
  sweep,
  take,
  upsertSchedule,
} from "../src/index.js";

const client = createClient({ url: inject("redisUrl") });
client.on("error", () => {});
/** The smallest ScriptSender: a node-redis client's raw command. */
const sender: ScriptSender = { send: (args) => client.sendCommand([...args]) as never };

beforeAll(async () => {
  await client.connect();
});
afterAll(async () => {
  await client.close();
});

const newQueue = () => queueKeys(uniqueQueue("proto"), uniquePrefix());
const job = (id: string, opts: Parameters<typeof prepareJob>[2] = {}) =>
  prepareJob("t", [id], { jobId: id, ...opts }, 1024);

/** Claims `id` and fails its run with no retry: it ends in the dead letter at the Redis time of the call. */
async function failNow(k: ReturnType<typeof newQueue>, id: string): Promise<void> {
  const [claim] = (await take(sender, k, { workerId: "w", leaseMs: 30_000, claim: 1, acks: [] })).claimed;
  expect(claim?.id).toBe(id);
  await take(sender, k, {
    workerId: "w",
    leaseMs: 30_000,
    claim: 0,
    acks: [{ id, token: claim?.token ?? "", op: "f", payload: '{"message":"x"}' }],
  });
}

describe("retry", () => {
  test("all: only what had failed by `before`, so jobs failing again meanwhile are not replayed twice", async () => {
    const k = newQueue();
    await enqueue(sender, k, { jobs: [job("old", { maxRetries: 0 })] });
    await failNow(k, "old");
    const [seconds, micros] = (await client.sendCommand(["TIME"])) as [string, string];
    const before = Number(seconds) * 1000 + Math.floor(Number(micros) / 1000);
    await new Promise((resolve) => setTimeout(resolve, 5));
    await enqueue(sender, k, { jobs: [job("new", { maxRetries: 0 })] });
    await failNow(k, "new");
    expect(await retry(sender, k, { all: 1000, before })).toBe(1);
    expect(await client.zRange(k.failed, 0, -1)).toEqual(["new"]);
    // without a bound: everything failed by the call's own time
    expect(await retry(sender, k, { all: 1000 })).toBe(1);
    expect(await client.zCard(k.failed)).toBe(0);
  });
});

describe("enqueue", () => {
  test("answers created, exists or queue full per job", async () => {
    const k = newQueue();
    expect(await enqueue(sender, k, { jobs: [job("a"), job("b")] })).toEqual([
      ENQUEUE_OUTCOME.created,
      ENQUEUE_OUTCOME.created,
    ]);
    expect(await enqueue(sender, k, { jobs: [job("a")] })).toEqual([ENQUEUE_OUTCOME.exists]);
    expect(await enqueue(sender, k, { jobs: [job("c")], maxPending: 2 })).toEqual([
      ENQUEUE_OUTCOME.queueFull,
    ]);
    expect(await client.lRange(k.pending.normal, 0, -1)).toEqual(["b", "a"]);
  });

  test("runs again after SCRIPT FLUSH (EVALSHA falls back to EVAL)", async () => {
    const k = newQueue();
    await client.sendCommand(["SCRIPT", "FLUSH"]);
    expect(await enqueue(sender, k, { jobs: [job("a")] })).toEqual([ENQUEUE_OUTCOME.created]);
  });
});

describe("take", () => {
  test("claims with a token and attempt, applies acks, and names the next wake-up", async () => {
    const k = newQueue();
    await enqueue(sender, k, { jobs: [job("a"), job("later", { delayMs: 60_000 })] });
    const first = await take(sender, k, { workerId: "w", leaseMs: 30_000, claim: 1, acks: [] });
    expect(first.claimed).toHaveLength(1);
    expect(first.nextWakeMs).toBe(NEXT_WAKE_NOT_COMPUTED);
    const [claimed] = first.claimed;
    expect(claimed).toMatchObject({ id: "a", attempt: 1 });
    expect(claimed?.record[1]).toBe("t");
    expect(await client.sMembers(k.claims("w"))).toEqual(["a"]);
    const done = await take(sender, k, {
      workerId: "w",
      leaseMs: 30_000,
      claim: 1,
      acks: [{ id: "a", token: claimed?.token ?? "", op: "c", payload: "1" }],
    });
    expect(done.outcomes).toBe(ACK_OUTCOME.completed);
    expect(done.claimed).toEqual([]);
    expect(done.nextWakeMs).toBeGreaterThan(59_000);
    const again = await take(sender, k, {
      workerId: "w",
      leaseMs: 30_000,
      claim: 0,
      acks: [{ id: "a", token: "0", op: "c", payload: "1" }],
    });
    expect(again.outcomes).toBe(ACK_OUTCOME.leaseLost);
  });

  test("each claim says how long the job waited: since it became runnable, else since its creation", async () => {
    const k = newQueue();
    await enqueue(sender, k, { jobs: [job("old"), job("retried")] });
    const [seconds] = (await client.sendCommand(["TIME"])) as [string, string];
    const now = Number(seconds) * 1000;
    // created an hour ago; the other created an hour ago but runnable again only since 5 s ago (a retry)
    await client.hSet(k.job("old"), { createdAt: String(now - 3_600_000) });
    await client.hSet(k.job("retried"), { createdAt: String(now - 3_600_000), runAt: String(now - 5_000) });
    const { claimed } = await take(sender, k, { workerId: "w", leaseMs: 30_000, claim: 2, acks: [] });
    const waited = Object.fromEntries(claimed.map((c) => [c.id, c.waitedMs]));
    expect(waited.old).toBeGreaterThanOrEqual(3_600_000);
    expect(waited.retried).toBeGreaterThanOrEqual(5_000);
    expect(waited.retried).toBeLessThan(3_600_000);
  });

  test("with nothing scheduled or active, the next wake-up is NEXT_WAKE_NONE", async () => {
    const k = newQueue();
    const reply = await take(sender, k, { workerId: "w", leaseMs: 1000, claim: 5, acks: [] });
    expect(reply).toEqual({ nextWakeMs: NEXT_WAKE_NONE, limit: "", outcomes: "", claimed: [] });
  });
});

describe("progress and cancel", () => {
  test("progress is recorded, refused over its limit, and lost under a stale token", async () => {
    const k = newQueue();
    await enqueue(sender, k, { jobs: [job("a")] });
    const { claimed } = await take(sender, k, { workerId: "w", leaseMs: 30_000, claim: 1, acks: [] });
    const token = claimed[0]?.token ?? "";
    expect(await progress(sender, k, { id: "a", token, value: "42", maxBytes: 10 })).toBe(
      PROGRESS_REPLY.recorded,
    );
    expect(await progress(sender, k, { id: "a", token, value: '"long value"', maxBytes: 5 })).toBe(
      PROGRESS_REPLY.tooLarge,
    );
    expect(await progress(sender, k, { id: "a", token: "0", value: "1", maxBytes: 0 })).toBe(
      PROGRESS_REPLY.leaseLost,
    );
    expect(await client.hGet(k.job("a"), "progress")).toBe("42");
  });

  test("cancel removes a waiting job, reports the state of a finished one, and false for none", async () => {
    const k = newQueue();
    await enqueue(sender, k, { jobs: [job("a"), job("b")] });
    const { claimed } = await take(sender, k, { workerId: "w", leaseMs: 30_000, claim: 1, acks: [] });
    const token = claimed[0]?.token ?? "";
    expect(await cancel(sender, k, { id: "b" })).toEqual({ removed: true, failed: false });
    await take(sender, k, {
      workerId: "w",
      leaseMs: 30_000,
      claim: 0,
      acks: [{ id: "a", token, op: "c", payload: "1", delayMs: 0 }],
    });
    expect(await cancel(sender, k, { id: "a" })).toEqual({
      removed: false,
      failed: false,
      state: "completed",
    });
    expect(await cancel(sender, k, { id: "none" })).toEqual({ removed: false, failed: false });
  });

  test("cancel fails a running job at once, without retry, tells its worker, and refuses the run's late ack", async () => {
    const k = newQueue();
    await enqueue(sender, k, { jobs: [job("a", { maxRetries: 5 })] });
    const { claimed } = await take(sender, k, { workerId: "w1", leaseMs: 30_000, claim: 1, acks: [] });
    const token = claimed[0]?.token ?? "";
    const subscriber = client.duplicate();
    subscriber.on("error", () => {});
    await subscriber.connect();
    const messages: string[] = [];
    await subscriber.subscribe(k.cancelChannel, (message) => void messages.push(message));
    try {
      expect(await cancel(sender, k, { id: "a" })).toEqual({ removed: false, failed: true });
      const record = await client.hGetAll(k.job("a"));
      expect(record).toMatchObject({ state: "failed", tok: token, errn: "1" });
      const error = JSON.parse(record.error ?? "{}");
      expect(error).toEqual({
        name: "TqError",
        code: "CANCELLED",
        attempt: 1,
        message: "cancelled while running (attempt 1)",
      });
      expect(JSON.parse(record.errors ?? "[]")).toEqual([error]);
      expect(Number(record.finishedAt)).toBeGreaterThan(0);
      expect(await client.zScore(k.active, "a")).toBeNull();
      expect(await client.zScore(k.failed, "a")).toBe(Number(record.finishedAt));
      // counted in its minute, not yet in meta's total (see the throughput hash)
      expect(await client.hGet(k.meta, "total:failed")).toBeNull();
      const counts = await client.hGetAll(k.throughput);
      expect(Object.entries(counts).filter(([field]) => field.startsWith("f:"))).toEqual([
        [`f:${Math.floor(Number(record.finishedAt) / 60_000)}`, "1"],
      ]);
      const entry = (await client.xRange(k.events, "-", "+"))?.at(-1)?.message ?? {};
      expect(entry.failed).toBe("a");
      expect(JSON.parse(String(entry["failed.d"]))).toEqual([
        { task: "t", att: 1, wid: "w1", err: { name: "TqError", code: "CANCELLED", message: error.message } },
      ]);
      await waitFor(() => messages.length > 0);
      expect(messages).toEqual([`a ${token}`]);
      expect(parseCancelMessage(messages[0] as string)).toEqual({ id: "a", token });

      // the run's lease is gone, reported as cancelled; its late ack is refused as a lost lease; nothing changed
      expect(await extend(sender, k, { leaseMs: 30_000, runs: [{ id: "a", token }] })).toEqual({
        lost: [],
        cancelled: ["a"],
      });
      const late = await take(sender, k, {
        workerId: "w1",
        leaseMs: 30_000,
        claim: 1,
        acks: [{ id: "a", token, op: "c", payload: '"late"', delayMs: 0 }],
      });
      expect(late.outcomes).toBe(ACK_OUTCOME.leaseLost);
      expect(late.claimed).toEqual([]);
      expect(await client.hGetAll(k.job("a"))).toEqual(record);
      // a failed job stays as it is
      expect(await cancel(sender, k, { id: "a" })).toEqual({
        removed: false,
        failed: false,
        state: "failed",
      });
    } finally {
      await subscriber.close();
    }
  });
});

describe("purge", () => {
  test("removes finished jobs oldest first, a bounded number per call, with their records", async () => {
    const k = newQueue();
    for (const [i, id] of ["a", "b", "c"].entries()) {
      await client.hSet(k.job(id), { state: "failed", task: "t" });
      await client.zAdd(k.failed, { score: i + 1, value: id });
    }
    // an id whose job has moved on (replayed, now pending) leaves the set; its record stays
    await client.hSet(k.job("d"), { state: "pending", task: "t" });
    await client.zAdd(k.failed, { score: 4, value: "d" });
    await client.hSet(k.job("e"), { state: "completed", task: "t" });
    await client.zAdd(k.completed, { score: 1, value: "e" });

    expect(await purge(sender, k, { status: "failed", limit: 2 })).toEqual({ removed: 2, remaining: 2 });
    expect(await client.exists([k.job("a"), k.job("b")])).toBe(0);
    expect(await client.zRange(k.failed, 0, -1)).toEqual(["c", "d"]);
    expect(await purge(sender, k, { status: "failed" })).toEqual({ removed: 2, remaining: 0 });
    expect(await client.hGet(k.job("d"), "state")).toBe("pending");
    expect(await client.exists(k.job("c"))).toBe(0);
    expect(await purge(sender, k, { status: "failed" })).toEqual({ removed: 0, remaining: 0 });
    // the other finished set is untouched
    expect(await client.zCard(k.completed)).toBe(1);
    const events = await client.xRange(k.events, "-", "+");
    expect((events ?? []).map((e) => e.message)).toEqual([{ removed: "a b" }, { removed: "c" }]);
  });

  test("refuses a limit out of bounds or another state before anything is sent", () => {
    const k = newQueue();
    expect(() => purge.args({ status: "failed", limit: 0 })).toThrow(/limit/);
    expect(() => purge.args({ status: "failed", limit: 1001 })).toThrow(/limit/);
    expect(() => purge.keys(k, { status: "active" as "failed" })).toThrow(/status/);
  });
});

describe("sweep and resume", () => {
  test("sweep reports what it moved and when the queue next needs one", async () => {
    const k = newQueue();
    expect(await sweep(sender, k, { limit: 10 })).toEqual({
      promoted: 0,
      requeued: 0,
      nextWakeMs: NEXT_WAKE_NONE,
    });
    await enqueue(sender, k, { jobs: [job("a", { delayMs: 1 })] });
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(await sweep(sender, k, { limit: 10 })).toMatchObject({ promoted: 1, requeued: 0 });
  });

  test("resume clears the paused flag and wakes a worker", async () => {
    const k = newQueue();
    await client.hSet(k.meta, "paused", "1");
    await resume(sender, k);
    expect(await client.hGet(k.meta, "paused")).toBeNull();
    expect(await client.zRange(k.marker, 0, -1)).toEqual(["0"]);
  });
});

describe("schedules", () => {
  test("upsert, due, fire at most once per tick, advance and remove", async () => {
    const prefix = uniquePrefix();
    const s = scheduleKeys(prefix);
    const k = queueKeys(uniqueQueue("fire"), prefix);
    expect(
      await upsertSchedule(sender, s, {
        name: "n",
        seen: "",
        definition: "{}",
        nextMs: 1_000,
        keepNext: false,
      }),
    ).toBe(true);
    expect(
      await upsertSchedule(sender, s, {
        name: "n",
        seen: "",
        definition: "{}",
        nextMs: 1_000,
        keepNext: false,
      }),
    ).toBe(false);
    const due = await dueSchedules(sender, s, { limit: 10 });
    expect(due.due).toEqual([{ name: "n", tickMs: 1_000 }]);
    expect(due.nextAtMs).toBe(-1);
    expect(due.nowMs).toBeGreaterThan(1_000);

    const tick = { name: "n", tickMs: 1_000, argv: job("n:1000").argv };
    const future = { name: "m", tickMs: due.nowMs + 3_600_000, argv: job("m:later").argv };
    expect(await fire(sender, k, { ticks: [tick, future] })).toEqual([
      FIRE_OUTCOME.created,
      FIRE_OUTCOME.notDue,
    ]);
    expect(await fire(sender, k, { ticks: [tick] })).toEqual([FIRE_OUTCOME.alreadyFired]);
    expect(await client.hGet(k.fired, "n")).toBe("1000");
    expect(await client.lRange(k.pending.normal, 0, -1)).toEqual(["n:1000"]);

    const move = { name: "n", tickMs: 1_000, seen: "{}", nextMs: 2_000 };
    expect(await advanceSchedules(sender, s, { moves: [move] })).toEqual([true]);
    expect(await advanceSchedules(sender, s, { moves: [move] })).toEqual([false]);
    expect(await client.zScore(s.next, "n")).toBe(2_000);
    expect(await removeSchedule(sender, s, { name: "n" })).toBe(true);
    expect(await removeSchedule(sender, s, { name: "n" })).toBe(false);
  });
});

describe("the runner", () => {
  test("refuses a key list that does not have the script's number of keys", async () => {
    const broken = { ...take, keys: () => ["only-one"] };
    const { runScript } = await import("../src/script.js");
    await expect(
      runScript(sender, broken, newQueue(), { workerId: "w", leaseMs: 1, claim: 0, acks: [] }),
    ).rejects.toThrow(/takes 16 keys, got 1/);
  });
});
