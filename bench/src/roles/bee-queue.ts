/**
 * Role process for Bee-Queue: `createJob().save()` / `saveAll`, `process(concurrency, handler)`. Default settings
 * throughout (removeOnSuccess false, storeJobs and getEvents true, also on the producer's queue).
 */
import BeeQueue from "bee-queue";
import type { JobData, RoleConfig } from "../protocol.js";
import { type LibraryAdapter, runRole, start } from "./role.js";

function redisOptions(config: RoleConfig): { host: string; port: number } {
  const url = new URL(config.url);
  return { host: url.hostname, port: Number(url.port) };
}

const adapter: LibraryAdapter = {
  async openProducer(config) {
    const queue = new BeeQueue<JobData>(config.queue, { redis: redisOptions(config) });
    await queue.ready();
    return {
      add: async (data) => {
        await queue.createJob(data).save();
      },
      addBulk: async (data, delayMs) => {
        const until = delayMs ? Date.now() + delayMs : 0;
        const errors = await queue.saveAll(
          data.map((d) => (until ? queue.createJob(d).delayUntil(until) : queue.createJob(d))),
        );
        if (errors.size > 0) throw [...errors.values()][0];
      },
      close: () => queue.close(),
    };
  },
  async openWorker(config, hooks) {
    const queue = new BeeQueue<JobData>(config.queue, { redis: redisOptions(config) });
    queue.on("succeeded", () => hooks.onCompleted());
    queue.on("failed", (_job, error) => hooks.onFailed(error));
    queue.on("error", (error) => console.error(`[bee-queue worker] ${error.message}`));
    await queue.ready();
    queue.process(config.concurrency ?? 1, async (job) => {
      hooks.onStart(job.data);
    });
    return { close: () => queue.close() };
  },
};

start(() => runRole(adapter));
