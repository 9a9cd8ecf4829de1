import { afterEach, beforeEach, describe, expect, inject, test } from "vitest";
import { Harness } from "./helpers.js";

const h = new Harness(inject("redisUrl"));

function errorWith(key: "stack" | "message", value: unknown): Error {
  const error = new Error("boom");
  Object.defineProperty(error, key, { value });
  return error;
}

function throwingGetter(): Error {
  const error = new Error("boom");
  Object.defineProperty(error, "stack", { value: "Error: boom" });
  Object.defineProperty(error, "message", {
    get() {
      throw new Error("the message getter throws");
    },
  });
  return error;
}

const circular: Record<string, unknown> = {};
circular.self = circular;

/** Values handlers throw; each used to end a plain Worker's process with an unhandled rejection. */
const thrown: Record<string, () => unknown> = {
  nullProto: () => Object.create(null),
  numberStack: () => errorWith("stack", 42),
  undefinedMessage: () => errorWith("message", undefined),
  throwingGetter,
  proxy: () =>
    new Proxy(
      {},
      {
        get() {
          throw new Error("get trap");
        },
        getPrototypeOf() {
          throw new Error("getPrototypeOf trap");
        },
      },
    ),
  bigint: () => 10n,
  circular: () => circular,
};

describe("any thrown value fails the run; nothing crashes the process", () => {
  const unhandled: unknown[] = [];
  const onUnhandled = (reason: unknown) => void unhandled.push(reason);
  beforeEach(() => {
    unhandled.length = 0;
    process.on("unhandledRejection", onUnhandled);
  });
  afterEach(() => {
    process.off("unhandledRejection", onUnhandled);
  });

  test("each value ends its job failed with a readable error; the worker keeps going", async () => {
    const queue = h.queue();
    const worker = h.worker(
      queue.name,
      {
        fail: async ([kind]: [string]) => {
          throw thrown[kind]?.();
        },
        ok: async () => "fine",
      },
      { concurrency: 4 },
    );
    await worker.start();
    const jobs = await queue.enqueueMany(
      Object.keys(thrown).map((kind) => ({ task: "fail", args: [kind], opts: { maxRetries: 0 } })),
    );
    for (const job of jobs) {
      await expect(queue.waitForResult(job.id, { timeoutMs: 20_000 })).rejects.toMatchObject({
        code: "JOB_FAILED",
      });
      const info = await queue.getJob(job.id);
      expect(info).toMatchObject({ status: "failed", attempts: 1 });
      expect(typeof info?.error?.name).toBe("string");
      expect(typeof info?.error?.message).toBe("string");
    }
    const messages = Object.fromEntries(
      await Promise.all(
        jobs.map(async (job, i) => [Object.keys(thrown)[i], (await queue.getJob(job.id))?.error?.message]),
      ),
    );
    expect(messages.bigint).toBe("non-Error thrown: 10");
    expect(messages.circular).toBe("non-Error thrown: [object Object]");
    expect(messages.numberStack).toBe("boom");
    const ok = await queue.enqueue("ok", []);
    expect(await queue.waitForResult(ok.id, { timeoutMs: 20_000 })).toBe("fine");
    expect(worker.isRunning).toBe(true);
    expect(worker.activeCount).toBe(0);
    expect(unhandled).toEqual([]);
  });
});
