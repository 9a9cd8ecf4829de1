import { JOB_SCHEMA_VERSION } from "@tq/client";
import { defineTask } from "@tq/job-schema";
import { describe, expect, inject, test } from "vitest";
import { z } from "zod";
import { Harness, keysOf } from "./helpers.js";

const h = new Harness(inject("redisUrl"));

const sendEmail = defineTask({
  name: "send_email",
  args: z.tuple([z.string().email(), z.string()]),
  result: z.object({ delivered: z.boolean() }),
});

describe("bad input never kills the loop", () => {
  test("garbage written straight into Redis ends failed with a clear reason; good jobs still complete", async () => {
    const queue = h.queue();
    const raw = await h.raw();
    const k = keysOf(queue);
    const inject = async (id: string, fields: Record<string, string>) => {
      await raw.hSet(k.job(id), { state: "pending", pri: "normal", maxr: "3", att: "0", ...fields });
      await raw.lPush(k.pending.normal, id);
    };
    const good1 = await queue.enqueue("send_email", ["first@example.com", "Hi"]);
    await raw.lPush(k.pending.normal, "ghost"); // an id with no job record
    const record = { v: String(JOB_SCHEMA_VERSION), task: "send_email", args: '["user@example.com","Hi"]' };
    await inject("not-json", { ...record, args: "{this is not json" });
    await inject("no-data", {});
    await inject("v99", { ...record, v: "99" });
    await inject("bad-opts", { ...record, opts: "[1,2" });
    await inject("no-task", { v: record.v, args: record.args });
    const badArgs = await queue.enqueue("send_email", ["not-an-email", "Hi"], { maxRetries: 5 });
    const badResult = await queue.enqueue("send_email", ["bad-result@example.com", "Hi"], { maxRetries: 5 });
    const good2 = await queue.enqueue("send_email", ["second@example.com", "Hi"]);

    const sent: string[] = [];
    const worker = h.worker(queue.name, {});
    worker.handle(sendEmail, async ([to]) => {
      sent.push(to);
      return (to.startsWith("bad-result") ? { delivered: "yes" } : { delivered: true }) as {
        delivered: boolean;
      };
    });
    await worker.start();

    expect(await queue.waitForResult(good1.id, { timeoutMs: 20_000 })).toEqual({ delivered: true });
    expect(await queue.waitForResult(good2.id, { timeoutMs: 20_000 })).toEqual({ delivered: true });
    const reasons: Record<string, [string | undefined, string]> = {};
    for (const id of [
      "ghost",
      "not-json",
      "no-data",
      "v99",
      "bad-opts",
      "no-task",
      badArgs.id,
      badResult.id,
    ]) {
      await expect(queue.waitForResult(id, { timeoutMs: 20_000 })).rejects.toMatchObject({
        code: "JOB_FAILED",
      });
      const info = await queue.getJob(id);
      expect(info?.status).toBe("failed");
      expect(info?.errors).toHaveLength(1);
      reasons[id] = [info?.error?.code, info?.error?.message ?? ""];
    }
    expect(reasons.ghost![0]).toBe("DECODE");
    expect(reasons.ghost![1]).toContain("has no job record");
    expect(reasons["not-json"]![0]).toBe("DECODE");
    expect(reasons["not-json"]![1]).toContain("not valid JSON");
    expect(reasons["no-data"]![0]).toBe("DECODE");
    expect(reasons["no-data"]![1]).toContain("no envelope fields");
    expect(reasons.v99![0]).toBe("DECODE");
    expect(reasons.v99![1]).toContain("schema version 99 is not supported");
    expect(reasons["bad-opts"]![1]).toContain('field "opts" is not valid JSON');
    expect(reasons["no-task"]![1]).toContain('field "task"');
    expect(reasons[badArgs.id]![0]).toBe("VALIDATION");
    expect(reasons[badArgs.id]![1]).toContain("args[0]");
    expect(reasons[badResult.id]![0]).toBe("VALIDATION");
    expect(reasons[badResult.id]![1]).toContain("result.delivered");
    // undecodable records fail on their first run, without retries
    for (const id of ["not-json", "v99", badArgs.id, badResult.id]) {
      expect((await queue.getJob(id))?.errors?.[0]?.attempt).toBe(1);
    }
    // the handler never saw the invalid args
    expect(sent).toEqual(["first@example.com", "bad-result@example.com", "second@example.com"]);

    // and the worker keeps consuming
    expect(worker.isRunning).toBe(true);
    const later = await queue.enqueue("send_email", ["later@example.com", "Hi"]);
    expect(await queue.waitForResult(later.id, { timeoutMs: 20_000 })).toEqual({ delivered: true });
    expect(await queue.counts()).toEqual({ scheduled: 0, pending: 0, active: 0, completed: 3, failed: 8 });
  });

  test("a result that is not JSON fails the job without retries", async () => {
    const queue = h.queue();
    const worker = h.worker(queue.name, {
      cyclic: async () => {
        const value: Record<string, unknown> = {};
        value.self = value;
        return value;
      },
    });
    await worker.start();
    const job = await queue.enqueue("cyclic", [], { maxRetries: 3 });
    await expect(queue.waitForResult(job.id, { timeoutMs: 20_000 })).rejects.toMatchObject({
      code: "JOB_FAILED",
      cause: { code: "VALIDATION" },
    });
    expect(await queue.getJob(job.id)).toMatchObject({ status: "failed", attempts: 1 });
  });
});
