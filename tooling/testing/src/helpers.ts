import { randomBytes } from "node:crypto";
import { inject } from "vitest";

/** A queue name no other test uses. */
export function uniqueQueue(label = "q"): string {
  return `${label}-${randomBytes(6).toString("hex")}`;
}

/** A key prefix no other test uses. */
export function uniquePrefix(label = "t"): string {
  return `${label}${randomBytes(4).toString("hex")}`;
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Polls `check` until it returns a truthy value (test helper only; tq itself never polls). */
export async function waitFor<T>(
  check: () => T | Promise<T>,
  {
    timeoutMs = 15_000,
    intervalMs = 20,
    what = "condition",
  }: { timeoutMs?: number; intervalMs?: number; what?: string } = {},
): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  let last: T | undefined;
  while (Date.now() < deadline) {
    last = await check();
    if (last) return last as NonNullable<T>;
    await sleep(intervalMs);
  }
  throw new Error(
    `timed out after ${timeoutMs} ms waiting for ${what} (last value: ${JSON.stringify(last)})`,
  );
}

/**
 * Whether the tests run against a Redis Cluster (the `*-cluster` projects). Tests that need a single node (CLIENT
 * KILL of one connection, DEBUG, CONFIG SET, a restart of the one server, a proxy in front of one port) skip
 * themselves there: `test.skipIf(onCluster())(…)`, with a comment saying why.
 */
export function onCluster(): boolean {
  return inject("redisTopology") === "cluster";
}
