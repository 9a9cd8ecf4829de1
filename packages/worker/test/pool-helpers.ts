// Helpers shared by the WorkerPool tests (pool*.test.ts).
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { type JobInfo, Queue } from "@tq/client";
import { type QueueKeys, queueKeys } from "@tq/protocol";
import { uniquePrefix, uniqueQueue, waitFor } from "@tq/testing";

import { type PoolChildExit, WorkerPool, type WorkerPoolOptions } from "@tq/worker";
import { inject } from "vitest";
import type {} from "../../../tooling/testing/src/global-setup.js";

const here = dirname(fileURLToPath(import.meta.url));

/** The absolute path of a handlers module in test/fixtures. */
export function fixture(name: string): string {
  return join(here, "fixtures", name);
}

/** The compiled tq-worker bin. */
export const binPath = join(here, "..", "dist", "bin.js");

/** What {@link setupPool} returns: a pool (not started), a producer on its queue, and what the pool reported. */
export interface PoolFixture {
  queue: string;
  prefix: string;
  keys: QueueKeys;
  producer: Queue;
  pool: WorkerPool;
  exits: PoolChildExit[];
  logs: string[];
}

/**
 * A WorkerPool on a fresh queue and prefix of the test Redis, with a producer beside it; both are closed by the
 * `cleanup` list the test file drains after each test. The pool's log lines are collected in `logs`.
 */
export function setupPool(
  name: string,
  cleanup: Array<() => Promise<unknown>>,
  options: Partial<WorkerPoolOptions> = {},
): PoolFixture {
  const connection = inject("redisUrl");
  const queue = uniqueQueue(name);
  const prefix = uniquePrefix();
  const producer = new Queue(queue, { connection, prefix });
  const logs: string[] = [];
  const log = (obj: object | string, msg?: string) =>
    logs.push(typeof obj === "string" ? obj : `${msg ?? ""} ${JSON.stringify(obj)}`);
  const pool = new WorkerPool({
    queue,
    prefix,
    connection,
    module: fixture("pool-tasks.mjs"),
    processes: 2,
    concurrency: 1,
    execArgv: [],
    logger: { debug: log, info: log, warn: log, error: log },
    ...options,
  });
  const exits: PoolChildExit[] = [];
  pool.on("exit", (exit) => exits.push(exit));
  pool.on("error", () => {});
  cleanup.push(() => producer.close());
  cleanup.push(() => pool.close({ timeoutMs: 0 }));
  return { queue, prefix, keys: queueKeys(queue, prefix), producer, pool, exits, logs };
}

/** Every job of the ids, once all are completed (polled through the producer). */
export async function finished(
  producer: Queue,
  ids: readonly string[],
  timeoutMs = 60_000,
): Promise<JobInfo[]> {
  return waitFor(
    async () => {
      const jobs = await Promise.all(ids.map((id) => producer.getJob(id)));
      return jobs.every((j) => j?.status === "completed") ? (jobs as JobInfo[]) : null;
    },
    { timeoutMs, what: `${ids.length} jobs completed`, intervalMs: 50 },
  );
}
