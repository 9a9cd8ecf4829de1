/** Role process for tq: `Queue.enqueue` / `enqueueMany`, one `Worker`. All options at their defaults. */
import type { JobData } from "../protocol.js";
import { type LibraryAdapter, runRole, start } from "./role.js";
import { loadTq } from "./tq-modules.js";

const {
  client: { Queue },
  worker: { Worker },
} = await loadTq();

const adapter: LibraryAdapter = {
  async openProducer(config) {
    const queue = new Queue(config.queue, { connection: config.url });
    await queue.isPaused(); // opens the connection before the clock starts
    return {
      add: async (data) => {
        await queue.enqueue("noop", data);
      },
      addBulk: async (data, delayMs) => {
        const opts = delayMs ? { delayMs } : undefined;
        await queue.enqueueMany(data.map((args) => ({ task: "noop", args, ...(opts ? { opts } : {}) })));
      },
      close: () => queue.close(),
    };
  },
  async openWorker(config, hooks) {
    const worker = new Worker(
      config.queue,
      {
        noop: async (args: JobData) => {
          hooks.onStart(args);
        },
      },
      { connection: config.url, concurrency: config.concurrency ?? 1 },
    );
    worker.on("completed", () => hooks.onCompleted());
    worker.on("failed", (_job, error) => hooks.onFailed(error));
    worker.on("error", (error) => console.error(`[tq worker] ${error.message}`));
    await worker.start();
    return { close: () => worker.close() };
  },
};

start(() => runRole(adapter));
