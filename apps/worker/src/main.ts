// The tutorial's worker process, as a supervised pool of worker processes.
// REDIS_URL, TQ_PREFIX, TQ_QUEUE, TQ_PROCESSES and TQ_CONCURRENCY configure it; SIGTERM/SIGINT drain it.
import { DEMO_QUEUE } from "@tq/example-contracts";
import { WorkerPool } from "@tq/worker";

const pool = new WorkerPool({
  queue: process.env.TQ_QUEUE ?? DEMO_QUEUE,
  module: new URL("./tasks.js", import.meta.url),
  processes: Number(process.env.TQ_PROCESSES ?? 2),
  concurrency: Number(process.env.TQ_CONCURRENCY ?? 4),
  connection: process.env.REDIS_URL,
  prefix: process.env.TQ_PREFIX,
});

let stopping = false;
async function stop(signal: string) {
  if (stopping) return;
  stopping = true;
  console.log(`Worker pool got ${signal}: draining...`);
  await pool.close();
  console.log("Worker pool stopped.");
  process.exit(0);
}
process.on("SIGTERM", () => void stop("SIGTERM"));
process.on("SIGINT", () => void stop("SIGINT"));

await pool.start();
console.log("Worker started. Waiting for jobs...");
