import { readFileSync } from "node:fs";
import { Queue } from "@tq/client";
import { isTqError, type TqError } from "@tq/job-schema";
import { Scheduler } from "@tq/scheduler";
import { type RedisServer, startRedis, waitFor } from "@tq/testing";
import { Worker } from "@tq/worker";
import { createClient } from "redis";
import { afterAll, afterEach, beforeAll, expect, test } from "vitest";

// The ACL recipe of docs/security.md, run exactly as written: the code block after the `acl-recipe` marker.
const doc = readFileSync(new URL("../../docs/security.md", import.meta.url), "utf8");
const block = /<!-- acl-recipe[^>]*-->\s*```[^\n]*\n([\s\S]*?)```/.exec(doc)?.[1];
const recipe = (block ?? "")
  .split("\n")
  .map((line) => line.trim())
  .filter((line) => line !== "");

let server: RedisServer;
const cleanup: Array<() => Promise<unknown>> = [];
beforeAll(async () => {
  expect(recipe.length).toBeGreaterThanOrEqual(3);
  server = await startRedis();
  const admin = createClient({ url: server.url });
  await admin.connect();
  for (const line of recipe) await admin.sendCommand(line.split(/\s+/));
  await admin.close();
});
afterEach(async () => {
  while (cleanup.length > 0) await cleanup.pop()?.();
});
afterAll(async () => {
  await server?.stop();
});

/** The URL of the private Redis as one of the recipe's users (user names and passwords from the recipe). */
function urlAs(role: "producer" | "worker" | "scheduler"): string {
  const line = recipe.find((l) => l.startsWith(`ACL SETUSER tq-emails-${role} `));
  const password = line
    ?.split(/\s+/)
    .find((part) => part.startsWith(">"))
    ?.slice(1);
  if (!password) throw new Error(`docs/security.md has no ACL SETUSER line for tq-emails-${role}`);
  return `redis://tq-emails-${role}:${password}@127.0.0.1:${server.port}`;
}

function producer(name: string) {
  const warnings: string[] = [];
  const queue = new Queue(name, {
    connection: urlAs("producer"),
    logger: {
      info() {},
      error() {},
      warn: (obj: object | string, msg?: string) =>
        void warnings.push(typeof obj === "string" ? obj : (msg ?? "")),
    },
  });
  cleanup.push(() => queue.close());
  return { queue, warnings };
}

function worker(name: string) {
  const errors: Error[] = [];
  const w = new Worker(name, { add: ([a, b]: [number, number]) => a + b }, { connection: urlAs("worker") });
  w.on("error", (e) => errors.push(e));
  cleanup.push(() => w.close());
  return { worker: w, errors };
}

/** The error `fn` rejects with. */
async function rejection(fn: () => Promise<unknown>): Promise<TqError> {
  try {
    await fn();
  } catch (error) {
    expect(isTqError(error)).toBe(true);
    return error as TqError;
  }
  throw new Error("expected a rejection");
}

/** A refusal under the ACL: a TqError coded NOPERM, saying so. */
function expectNoPerm(error: TqError) {
  expect(error.code).toBe("NOPERM");
  expect(error.message).toContain("NOPERM");
}

test("a producer and a worker on the recipe's users complete a job end to end", async () => {
  const { queue, warnings } = producer("emails");
  const { worker: w, errors } = worker("emails");
  await w.start();
  const job = await queue.enqueue("add", [2, 3]);
  await queue.enqueue("add", [4, 5]);
  expect(await queue.waitForResult(job.id, { timeoutMs: 10_000 })).toBe(5);
  expect(await queue.counts()).toMatchObject({ pending: 0, failed: 0 });

  // Neither may add its queue to the shared `tq:queues`: one warning each, nothing failed. The refused
  // `CONFIG GET` of the maxmemory-policy check is not reported at all.
  expect(warnings).toHaveLength(1);
  expect(warnings[0]).toContain("tq:queues");
  expect(errors).toHaveLength(1);
  expect(errors[0]?.message).toContain("tq:queues");
});

test("on the recipe's users, cancelling a running job aborts its handler within a second", async () => {
  const { queue } = producer("emails");
  const started: string[] = [];
  const aborted = new Map<string, { at: number; code: unknown }>();
  const errors: Error[] = [];
  const w = new Worker(
    "emails",
    {
      long: async (_args: unknown, ctx: { jobId: string; signal: AbortSignal }) => {
        started.push(ctx.jobId);
        await new Promise<void>((resolve) => {
          ctx.signal.addEventListener("abort", () => {
            aborted.set(ctx.jobId, { at: Date.now(), code: (ctx.signal.reason as TqError).code });
            resolve();
          });
        });
      },
    },
    { connection: urlAs("worker") },
  );
  w.on("error", (e) => errors.push(e));
  cleanup.push(() => w.close({ timeoutMs: 0 }));
  await w.start();
  const job = await queue.enqueue("long", []);
  await waitFor(() => started.includes(job.id));
  const cancelledAt = Date.now();
  expect(await queue.cancel(job.id)).toBe(true);
  const seen = await waitFor(() => aborted.get(job.id));
  expect(seen.code).toBe("CANCELLED");
  expect(seen.at - cancelledAt).toBeLessThan(1_000);
  expect(await queue.getJob(job.id)).toMatchObject({ status: "failed", error: { code: "CANCELLED" } });
  // only the best-effort tq:queues registration was refused
  expect(errors.map((e) => e.message).filter((m) => !m.includes("tq:queues"))).toEqual([]);
});

test("the producer gets NOPERM when it touches another queue", async () => {
  const { queue } = producer("billing");
  expectNoPerm(await rejection(() => queue.enqueue("add", [1, 1])));
  expectNoPerm(await rejection(() => queue.counts()));
});

test("the worker reports NOPERM for another queue and claims nothing there", async () => {
  const { worker: w, errors } = worker("billing");
  await w.start();
  const refused = await waitFor(() =>
    errors.find((e) => e.message.includes("NOPERM") && !e.message.includes("tq:queues")),
  );
  expectNoPerm(refused as TqError);
});

test("the scheduler on its user promotes and fires into its queue, and gets NOPERM for another", async () => {
  const { queue } = producer("emails");
  const { worker: w } = worker("emails");
  await w.start();
  const scheduler = new Scheduler({ connection: urlAs("scheduler"), queues: ["emails"] });
  const errors: Error[] = [];
  scheduler.on("error", (e) => errors.push(e));
  cleanup.push(() => scheduler.close());
  await scheduler.start();

  const delayed = await scheduler.schedule("emails", "add", 200, [10, 20]);
  expect(await queue.waitForResult(delayed.id, { timeoutMs: 10_000 })).toBe(30);
  const fired: string[] = [];
  scheduler.on("fired", (e) => fired.push(e.jobId));
  await scheduler.upsertSchedule("often", { everyMs: 200 }, { queue: "emails", task: "add", args: [1, 2] });
  const ticked = await waitFor(() => fired[0]);
  expect(await queue.waitForResult(ticked, { timeoutMs: 10_000 })).toBe(3);
  await scheduler.removeSchedule("often");
  expect(errors).toEqual([]);

  expectNoPerm(await rejection(() => scheduler.schedule("billing", "add", 200, [1, 1])));
});
