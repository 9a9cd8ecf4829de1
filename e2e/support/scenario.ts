import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type JobInfo, Queue } from "@tq/client";
import { queueKeys } from "@tq/protocol";
import {
  type RedisServer,
  type RedisServerOptions,
  startRedis,
  uniquePrefix,
  uniqueQueue,
} from "@tq/testing";
import { createClient } from "redis";
import { type FixtureProcess, killAllProcesses, startWorkerProcess } from "./processes.js";

/** A private redis-server, a queue on it, a ledger file and a plain client for inspecting and breaking things. */
export interface Scenario {
  redis: RedisServer;
  queueName: string;
  prefix: string;
  /** The ledger file worker processes append their runs to. */
  ledger: string;
  /** A producer that keeps every finished job (no retention limit), so each one can be checked at the end. */
  queue: Queue;
  /** A node-redis client of the test's own: counts, CLIENT LIST, CLIENT KILL. */
  admin: AdminClient;
  /** Starts a worker process on this queue; resolves once it is consuming. */
  startWorker(options?: { concurrency?: number; leaseMs?: number }): Promise<FixtureProcess>;
  /** How many jobs are in the completed set. */
  completedCount(): Promise<number>;
  /** The jobs with these ids (throws if one does not exist). */
  jobs(ids: readonly string[]): Promise<JobInfo[]>;
}

function adminClient(url: string) {
  return createClient({ url });
}

/** A plain node-redis client. */
export type AdminClient = ReturnType<typeof adminClient>;

const cleanups: Array<() => Promise<void> | void> = [];

/** Starts a scenario; {@link cleanUpScenarios} (in `afterEach`) tears it down, whatever happened. */
export async function startScenario(redisOptions: RedisServerOptions = {}): Promise<Scenario> {
  const dir = mkdtempSync(join(tmpdir(), "tq-e2e-"));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  const redis = await startRedis(redisOptions);
  cleanups.push(() => redis.stop());
  const queueName = uniqueQueue("e2e");
  const prefix = uniquePrefix("e2e");
  const queue = new Queue(queueName, {
    connection: redis.url,
    prefix,
    retention: { completed: { count: -1 }, failed: { count: -1 } },
  });
  cleanups.push(() => queue.close());
  await queue.isPaused(); // opens its connection
  const admin = adminClient(redis.url);
  admin.on("error", () => {});
  await admin.connect();
  cleanups.push(() => admin.destroy());
  const ledger = join(dir, "ledger.txt");
  return {
    redis,
    queueName,
    prefix,
    ledger,
    queue,
    admin,
    startWorker: (options = {}) =>
      startWorkerProcess({ redisUrl: redis.url, queue: queueName, prefix, ledger, ...options }),
    completedCount: async () => Number(await admin.zCard(queueKeys(queue.name, queue.prefix).completed)),
    jobs: async (ids) => {
      const infos = await Promise.all(ids.map((id) => queue.getJob(id)));
      return infos.map((info, i) => {
        if (!info) throw new Error(`job ${ids[i]} does not exist`);
        return info;
      });
    },
  };
}

/** Kills every process the tests started, then closes clients, stops redis-servers and removes temp dirs. */
export async function cleanUpScenarios(): Promise<void> {
  await killAllProcesses();
  const errors: unknown[] = [];
  while (cleanups.length > 0) {
    try {
      await cleanups.pop()?.();
    } catch (error) {
      errors.push(error);
    }
  }
  if (errors.length > 0) throw errors[0];
}
