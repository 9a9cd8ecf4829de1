import { isTqError } from "@tq/job-schema";
import { progress, type TakeAck, take } from "@tq/protocol";
import { describe, expect, inject, test } from "vitest";
import { Harness, keysOf } from "./helpers.js";

const h = new Harness(inject("redisUrl"));

describe("size caps", () => {
  test("a result over maxResultBytes fails the job at once, without retries, as PAYLOAD_TOO_LARGE", async () => {
    const queue = h.queue();
    const failed: Error[] = [];
    const worker = h.worker(queue.name, {
      big: async ([size]: [number]) => "x".repeat(size),
    });
    worker.on("failed", (_job, error) => failed.push(error));
    await worker.start();
    // the default cap is maxPayloadBytes: 512 KiB
    const big = await queue.enqueue("big", [600 * 1024], { maxRetries: 3 });
    const fits = await queue.enqueue("big", [1000]);
    await expect(queue.waitForResult(big.id, { timeoutMs: 20_000 })).rejects.toMatchObject({
      code: "JOB_FAILED",
    });
    expect(await queue.waitForResult(fits.id, { timeoutMs: 20_000 })).toHaveLength(1000);
    const info = await queue.getJob(big.id);
    expect(info).toMatchObject({ status: "failed", attempts: 1 });
    expect(info?.result).toBeUndefined();
    expect(info?.error?.code).toBe("PAYLOAD_TOO_LARGE");
    expect(info?.error?.message).toContain(`${600 * 1024 + 2} bytes`);
    expect(info?.error?.message).toContain("524288-byte cap (maxResultBytes)");
    expect(failed.map((e) => (isTqError(e) ? e.code : e.message))).toEqual(["PAYLOAD_TOO_LARGE"]);
  });

  test("maxResultBytes can be set per worker", async () => {
    const queue = h.queue();
    const worker = h.worker(queue.name, { r: async () => "y".repeat(200) }, { maxResultBytes: 100 });
    await worker.start();
    const job = await queue.enqueue("r", []);
    await expect(queue.waitForResult(job.id, { timeoutMs: 20_000 })).rejects.toMatchObject({
      code: "JOB_FAILED",
      cause: { code: "PAYLOAD_TOO_LARGE" },
    });
  });

  test("an oversized progress value throws PAYLOAD_TOO_LARGE from ctx.progress and is not stored", async () => {
    const queue = h.queue();
    const worker = h.worker(queue.name, {
      p: async (_args, ctx) => {
        await ctx.progress({ step: 1 });
        try {
          await ctx.progress("z".repeat(100 * 1024));
          return "stored";
        } catch (error) {
          return isTqError(error) ? error.code : "other";
        }
      },
    });
    await worker.start();
    const job = await queue.enqueue("p", []);
    expect(await queue.waitForResult(job.id, { timeoutMs: 20_000 })).toBe("PAYLOAD_TOO_LARGE");
    expect((await queue.getJob(job.id))?.progress).toEqual({ step: 1 });
  });

  test("huge error name, code, message and stack are stored cut, with a marker", async () => {
    const queue = h.queue();
    const worker = h.worker(queue.name, {
      e: async () => {
        const error = new Error("m".repeat(2_000_000)) as Error & { code: string };
        error.name = "N".repeat(2_000_000);
        error.code = "C".repeat(2_000_000);
        error.stack = "S".repeat(2_000_000);
        throw error;
      },
    });
    await worker.start();
    const job = await queue.enqueue("e", [], { maxRetries: 0 });
    await expect(queue.waitForResult(job.id, { timeoutMs: 20_000 })).rejects.toMatchObject({
      code: "JOB_FAILED",
    });
    const stored = (await queue.getJob(job.id))?.error;
    expect(JSON.stringify(stored).length).toBeLessThan(10_000);
    for (const field of [stored?.name, stored?.code, stored?.message, stored?.stack]) {
      expect(field).toMatch(/… \[\d+ more characters\]$/);
    }
  });

  test("the scripts refuse oversized payloads themselves (a second guard below the worker)", async () => {
    const queue = h.queue();
    const connection = await h.connection();
    const k = keysOf(queue);
    const claim = (count: number, maxResultBytes: number, acks: TakeAck[] = []) =>
      take(connection, k, { workerId: "w1", leaseMs: 30_000, claim: count, acks, maxResultBytes });
    const job = await queue.enqueue("t", [], { maxRetries: 3 });
    const { id, token } = (await claim(1, 1000)).claimed[0]!;
    expect(id).toBe(job.id);

    // progress over the limit passed in ARGV: refused (-1), nothing stored
    const record = (value: string) => progress(connection, k, { id: job.id, token, value, maxBytes: 100 });
    expect(await record(JSON.stringify("p".repeat(200)))).toBe(-1);
    expect((await queue.getJob(job.id))?.progress).toBeUndefined();
    expect(await record("42")).toBe(1);

    // a completion over the limit: the job fails, without retries, and the result is not stored
    const reply = await claim(0, 1000, [
      { id: job.id, token, op: "c", payload: JSON.stringify("r".repeat(5000)) },
    ]);
    expect(reply.outcomes).toBe("p");
    const info = await queue.getJob(job.id);
    expect(info).toMatchObject({ status: "failed", attempts: 1 });
    expect(info?.error?.code).toBe("PAYLOAD_TOO_LARGE");
    expect(info?.error?.message).toContain("over the 1000-byte limit");
    expect(await connection.send(["HEXISTS", k.job(job.id), "result"])).toBe(0);
  });
});
