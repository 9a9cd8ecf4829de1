import { isTqError } from "@tq/client";
import { extend, progress, type TakeAck, take } from "@tq/protocol";
import { sleep } from "@tq/testing";
import { describe, expect, inject, test } from "vitest";
import { busyWait, deferred, Harness, keysOf } from "./helpers.js";

const h = new Harness(inject("redisUrl"));

describe("lease fencing", () => {
  test("a run that stalls past its lease is taken over; its late completion does not overwrite the result", async () => {
    const queue = h.queue();
    const firstStarted = deferred();
    const proceed = deferred();
    const firstReturned = deferred();
    const first = h.worker(
      queue.name,
      {
        report: async (_args, ctx) => {
          firstStarted.resolve();
          await proceed.promise;
          // Hog the CPU well past the 500 ms lease: no timer can renew it meanwhile.
          busyWait(1_500);
          // Then ignore the abort and finish late.
          await sleep(1_500);
          firstReturned.resolve();
          return `first worker, run ${ctx.attempt}`;
        },
        probe: async () => "probe",
      },
      { leaseMs: 500 },
    );
    const second = h.worker(
      queue.name,
      { report: async (_args, ctx) => `second worker, run ${ctx.attempt}` },
      {
        leaseMs: 500,
      },
    );
    await first.start();
    const job = await queue.enqueue("report", ["monthly"], { maxRetries: 3 });
    await firstStarted.promise;
    await second.start();
    proceed.resolve();

    expect(await queue.waitForResult(job.id, { timeoutMs: 30_000 })).toBe("second worker, run 2");
    await firstReturned.promise;
    await second.close();
    // The first worker's outcome (if it sent one) goes out no later than its next claim's round trip.
    const probe = await queue.enqueue("probe", []);
    expect(await queue.waitForResult(probe.id, { timeoutMs: 30_000 })).toBe("probe");

    const info = await queue.getJob(job.id);
    expect(info).toMatchObject({ status: "completed", result: "second worker, run 2", attempts: 2 });
    expect(info!.errors).toHaveLength(1);
    expect(info!.errors![0]).toMatchObject({ code: "LEASE_LOST", attempt: 1 });
    expect(first.errors.length).toBeGreaterThanOrEqual(1);
    expect(first.errors.every((e) => isTqError(e) && e.code === "LEASE_LOST")).toBe(true);
    expect(first.errors[0]!.message).toContain(job.id);
    expect(second.errors).toEqual([]);
  });

  test("an idle worker takes over a run whose worker stalled past its lease, even if that worker renews late", async () => {
    const queue = h.queue();
    const holdStarted = deferred();
    const releaseHold = deferred();
    const firstStarted = deferred();
    const proceed = deferred();
    const firstReturned = deferred();
    const first = h.worker(
      queue.name,
      {
        report: async (_args, ctx) => {
          firstStarted.resolve();
          await proceed.promise;
          busyWait(1_500);
          await sleep(1_500);
          firstReturned.resolve();
          return `first worker, run ${ctx.attempt}`;
        },
      },
      { leaseMs: 500 },
    );
    const second = h.worker(
      queue.name,
      {
        hold: async () => {
          holdStarted.resolve();
          await releaseHold.promise;
        },
        report: async (_args, ctx) => `second worker, run ${ctx.attempt}`,
      },
      { leaseMs: 500 },
    );
    // The second worker is busy while the first claims the job, then goes idle: it blocks on Redis, timed to
    // wake when the first worker's lease would run out.
    await second.start();
    const hold = await queue.enqueue("hold", []);
    await holdStarted.promise;
    await first.start();
    const job = await queue.enqueue("report", ["monthly"], { maxRetries: 3 });
    await firstStarted.promise;
    releaseHold.resolve();
    await queue.waitForResult(hold.id, { timeoutMs: 30_000 });
    await sleep(100); // the second worker is blocked again
    proceed.resolve();

    expect(await queue.waitForResult(job.id, { timeoutMs: 30_000 })).toBe("second worker, run 2");
    await firstReturned.promise;
    await second.close();
    await first.close();
    const info = await queue.getJob(job.id);
    expect(info).toMatchObject({ status: "completed", result: "second worker, run 2", attempts: 2 });
    expect(info!.errors!.map((e) => e.code)).toEqual(["LEASE_LOST"]);
    expect(first.errors.map((e) => (isTqError(e) ? e.code : e.message))).toContain("LEASE_LOST");
  });

  test("an ack, a renewal or a progress update under a stale token is refused", async () => {
    const queue = h.queue();
    const connection = await h.connection();
    const k = keysOf(queue);
    const claim = (count: number, leaseMs: number, acks: TakeAck[] = []) =>
      take(connection, k, { workerId: "w1", leaseMs, claim: count, acks });
    const job = await queue.enqueue("t", [], { maxRetries: 1 });
    const { id, token: staleToken } = (await claim(1, 100)).claimed[0]!;
    expect(id).toBe(job.id);
    await sleep(150); // the 100 ms lease has run out
    // the next claim takes the job back (a lost run counts as a failed one) and hands it out under a new token
    const reclaimed = (await claim(1, 30_000)).claimed[0]!;
    expect(reclaimed.id).toBe(job.id);
    const freshToken = reclaimed.token;
    expect(freshToken).not.toBe(staleToken);
    expect(reclaimed.attempt).toBe(2);

    const stale = (await claim(0, 30_000, [{ id: job.id, token: staleToken, op: "c", payload: '"stale"' }]))
      .outcomes;
    expect(stale).toBe("l");
    expect(await queue.getJob(job.id)).toMatchObject({ status: "active", attempts: 2 });
    expect(
      await extend(connection, k, { leaseMs: 30_000, runs: [{ id: job.id, token: staleToken }] }),
    ).toEqual({ lost: [job.id], cancelled: [] });
    expect(await progress(connection, k, { id: job.id, token: staleToken, value: "99", maxBytes: 0 })).toBe(
      0,
    );
    expect((await queue.getJob(job.id))?.progress).toBeUndefined();

    const fresh = (await claim(0, 30_000, [{ id: job.id, token: freshToken, op: "c", payload: '"fresh"' }]))
      .outcomes;
    expect(fresh).toBe("c");
    expect(await queue.getJob(job.id)).toMatchObject({ status: "completed", result: "fresh" });
  });

  test("a lease that has run out cannot be renewed", async () => {
    const queue = h.queue();
    const connection = await h.connection();
    const k = keysOf(queue);
    await queue.enqueue("t", []);
    const { claimed } = await take(connection, k, { workerId: "w1", leaseMs: 10_000, claim: 1, acks: [] });
    const { id, token } = claimed[0]!;
    // renewed, with a lease of only 200 ms from now
    expect(await extend(connection, k, { leaseMs: 200, runs: [{ id, token }] })).toEqual({
      lost: [],
      cancelled: [],
    });
    await sleep(300);
    expect(await extend(connection, k, { leaseMs: 30_000, runs: [{ id, token }] })).toEqual({
      lost: [id],
      cancelled: [],
    });
  });

  test("leases are renewed while a handler runs longer than leaseMs", async () => {
    const queue = h.queue();
    const started = deferred();
    const first = h.worker(
      queue.name,
      {
        long: async () => {
          started.resolve();
          await sleep(3_500);
          return "done";
        },
      },
      { leaseMs: 1_000 },
    );
    const second = h.worker(queue.name, { long: async () => "stolen" }, { leaseMs: 1_000 });
    await first.start();
    const job = await queue.enqueue("long", []);
    await started.promise;
    // an idle worker wakes whenever the lease would run out: it must find it renewed every time
    await second.start();
    expect(await queue.waitForResult(job.id, { timeoutMs: 30_000 })).toBe("done");
    expect(await queue.getJob(job.id)).toMatchObject({ attempts: 1 });
    expect((await queue.getJob(job.id))?.errors).toBeUndefined();
    expect(first.errors).toEqual([]);
  });
});
