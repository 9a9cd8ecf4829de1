import { Queue } from "@tq/client";
import { redisTimeMs } from "@tq/protocol";
// @tq/testing also brings in the typing of `inject("redisUrl")` that the global setup provides.
import { testClient } from "@tq/testing";
import { afterEach, inject } from "vitest";
import { type FiredEvent, Scheduler, type SchedulerOptions } from "../src/index.js";

/** The private Redis of this test project. */
export const connection = inject("redisUrl");

const cleanup: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  while (cleanup.length) await cleanup.pop()?.();
});

/** Runs `fn` after the current test. */
export function defer(fn: () => Promise<unknown>): void {
  cleanup.push(fn);
}

/** A scheduler closed after the test, recording what it fired. */
export function scheduler(prefix: string, options: SchedulerOptions = {}) {
  const s = new Scheduler({ connection, prefix, ...options });
  const fired: FiredEvent[] = [];
  const errors: Error[] = [];
  s.on("fired", (e) => fired.push(e));
  s.on("error", (e) => errors.push(e));
  defer(() => s.close());
  return { scheduler: s, fired, errors };
}

/** A queue closed after the test. */
export function queue(name: string, prefix: string): Queue {
  const q = new Queue(name, { connection, prefix });
  defer(() => q.close());
  return q;
}

/** A raw node-redis client on the test Redis (a cluster client in the cluster project), closed after the test. */
export async function redis() {
  const client = testClient(connection);
  client.on("error", () => {});
  await client.connect();
  defer(() => client.close());
  return client;
}

/** The Redis clock, epoch ms. */
export async function redisNow(client: Awaited<ReturnType<typeof redis>>): Promise<number> {
  return redisTimeMs((await client.sendCommand(["TIME"])) as [string, string]);
}

/** Ids of the pending jobs of a queue. */
export async function pendingIds(q: Queue): Promise<string[]> {
  return (await q.list("pending", { limit: 100_000 })).map((j) => j.id);
}

/** The tick of a scheduled job id `<name>:<tick>`. */
export function tickOf(jobId: string): number {
  return Number(jobId.slice(jobId.lastIndexOf(":") + 1));
}
