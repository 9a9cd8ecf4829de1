import { JOB_SCHEMA_VERSION } from "@tq/client";
import { describe, expect, inject, test } from "vitest";
import { Harness, keysOf, quietLogger } from "./helpers.js";

const h = new Harness(inject("redisUrl"));

describe("worker messages quote names", () => {
  test("control characters in a task name or job id written straight into Redis do not reach log lines", async () => {
    const queue = h.queue();
    const raw = await h.raw();
    const inject = async (id: string, task: string) => {
      await raw.hSet(keysOf(queue).job(id), {
        v: String(JOB_SCHEMA_VERSION),
        task,
        args: "[]",
        state: "pending",
        pri: "normal",
        maxr: "0",
        att: "0",
        createdAt: String(Date.now()),
      });
      await raw.lPush(keysOf(queue).pending.normal, id);
    };
    const lines: string[] = [];
    const worker = h.worker(
      queue.name,
      {
        "logs\nforged line": async (_args, ctx) => {
          ctx.logger.info("hello");
          return "ok";
        },
      },
      { logger: quietLogger(lines) },
    );
    const done = new Promise<unknown>((resolve) => worker.on("completed", (_job, result) => resolve(result)));
    await inject("unknown-task", "no such\ntask\u001b[31m");
    await inject("logs\rid", "logs\nforged line");
    await worker.start();
    await expect(queue.waitForResult("unknown-task", { timeoutMs: 20_000 })).rejects.toMatchObject({
      code: "JOB_FAILED",
    });
    // (ids with control characters are refused by Queue, so this one is watched through the worker)
    expect(await done).toBe("ok");

    const message = (await queue.getJob("unknown-task"))?.error?.message ?? "";
    expect(message).toContain(JSON.stringify("no such\ntask\u001b[31m"));
    expect(message).toContain(JSON.stringify("logs\nforged line"));
    const logged = lines.find((line) => line.includes("hello")) ?? "";
    expect(logged).toContain(JSON.stringify("logs\rid"));
    for (const text of [message, logged]) {
      for (const control of ["\n", "\r", "\u001b"]) expect(text).not.toContain(control);
    }
  });
});
