// The tutorial's worker process, as a supervised pool of worker processes.
// REDIS_URL, TQ_PREFIX, TQ_QUEUE, TQ_PROCESSES and TQ_CONCURRENCY configure it; TQ_HEALTH_PORT (and TQ_HEALTH_HOST,
// default 127.0.0.1) serve GET /healthz; TQ_SHUTDOWN_TIMEOUT_MS is how long running jobs may finish on SIGTERM;
// TQ_LOG_FORMAT=json prints the pool's and the worker processes' lines as JSON. SIGTERM/SIGINT drain it.
import { createLogger, parseLogFormat, writeByLevel } from "@tq/connection";
import { DEMO_QUEUE } from "@tq/example-contracts";
import { WorkerPool } from "@tq/worker";

const env = (name: string) => process.env[name] || undefined;
const num = (name: string) => (env(name) === undefined ? undefined : Number(env(name)));

const pool = new WorkerPool({
  queue: env("TQ_QUEUE") ?? DEMO_QUEUE,
  module: new URL("./tasks.js", import.meta.url),
  processes: num("TQ_PROCESSES") ?? 2,
  concurrency: num("TQ_CONCURRENCY") ?? 4,
  connection: env("REDIS_URL"),
  prefix: env("TQ_PREFIX"),
  healthPort: num("TQ_HEALTH_PORT"),
  healthHost: env("TQ_HEALTH_HOST"),
  shutdownTimeoutMs: num("TQ_SHUTDOWN_TIMEOUT_MS"),
  logger: createLogger("pool", {
    format: parseLogFormat(env("TQ_LOG_FORMAT")) ?? "text",
    write: writeByLevel,
  }),
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
console.log(
  `Worker started. Waiting for jobs...${pool.healthPort === undefined ? "" : ` (/healthz on port ${pool.healthPort})`}`,
);
