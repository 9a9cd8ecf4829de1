/**
 * Role process for BullMQ: `Queue.add` / `addBulk`, one `Worker` with `concurrency`, on ioredis connections.
 * Defaults throughout (removeOnComplete keeps every job); the worker's connection has `maxRetriesPerRequest: null`
 * as BullMQ requires for workers.
 */
import { Queue, Worker } from "bullmq";
import { Redis } from "ioredis";
import type { JobData } from "../protocol.js";
import { type LibraryAdapter, runRole, start } from "./role.js";

const adapter: LibraryAdapter = {
  async openProducer(config) {
    const connection = new Redis(config.url);
    const queue = new Queue<JobData>(config.queue, { connection });
    await queue.waitUntilReady();
    return {
      add: async (data) => {
        await queue.add("noop", data);
      },
      addBulk: async (data, delayMs) => {
        const opts = delayMs ? { delay: delayMs } : undefined;
        await queue.addBulk(data.map((d) => ({ name: "noop", data: d, ...(opts ? { opts } : {}) })));
      },
      close: async () => {
        await queue.close();
        await connection.quit();
      },
    };
  },
  async openWorker(config, hooks) {
    const connection = new Redis(config.url, { maxRetriesPerRequest: null });
    const worker = new Worker<JobData>(
      config.queue,
      async (job) => {
        hooks.onStart(job.data);
      },
      { connection, concurrency: config.concurrency ?? 1 },
    );
    worker.on("completed", () => hooks.onCompleted());
    worker.on("failed", (_job, error) => hooks.onFailed(error));
    worker.on("error", (error) => console.error(`[bullmq worker] ${error.message}`));
    await worker.waitUntilReady();
    return {
      close: async () => {
        await worker.close();
        await connection.quit();
      },
    };
  },
};

start(() => runRole(adapter));
