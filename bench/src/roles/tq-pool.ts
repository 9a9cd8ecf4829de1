/**
 * Role process for tq's WorkerPool: `processes` children with `concurrency` each, on a pre-filled queue. The pool's
 * children report nothing to this process, so it times the run from outside: the first start from the times the
 * children's handler module writes, the last completion from the newest completed job's `finishedAt`, and the end of
 * the run by polling `counts()` every 20 ms.
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { onParentMessage, readConfig, send, start } from "./role.js";
import { loadTq } from "./tq-modules.js";

interface PoolLike {
  start(): Promise<void>;
  close(): Promise<void>;
}

type PoolConstructor = new (options: {
  queue: string;
  module: URL;
  processes: number;
  concurrency: number;
  connection: string;
}) => PoolLike;

async function main(): Promise<void> {
  const config = readConfig();
  const {
    client: { Queue },
    worker: workerPackage,
  } = await loadTq();
  const WorkerPool = (workerPackage as unknown as Record<string, unknown>).WorkerPool as
    | PoolConstructor
    | undefined;
  if (typeof WorkerPool !== "function") throw new Error("@tq/worker does not export WorkerPool");
  const expect = config.expect ?? 0;
  const dir = mkdtempSync(join(tmpdir(), "tq-bench-pool-"));
  const startsFile = join(dir, "starts");
  process.env.TQ_BENCH_POOL_STARTS = startsFile;
  // the children inherit it: each job keeps the CPU busy that long
  if (config.cpuMs) process.env.TQ_BENCH_CPU_MS = String(config.cpuMs);

  const queue = new Queue(config.queue, { connection: config.url });
  await queue.isPaused();
  const pool = new WorkerPool({
    queue: config.queue,
    module: new URL("./pool-tasks.mjs", import.meta.url),
    processes: config.processes ?? 2,
    concurrency: config.concurrency ?? 1,
    connection: config.url,
  });
  await pool.start();
  send({ type: "ready" });

  let firstSeenMs = 0;
  let done = false;
  let failed = 0;
  let lastCompletedMs = 0;
  const poll = async () => {
    while (!done) {
      const counts = await queue.counts();
      const now = Date.now();
      const left = counts.pending + counts.active + counts.scheduled;
      if (firstSeenMs === 0 && left < expect) firstSeenMs = now;
      if (left === 0) {
        done = true;
        failed = counts.failed;
        const [newest] = await queue.list("completed", { limit: 1 });
        lastCompletedMs = newest?.finishedAt ?? now;
        send({ type: "progress", completed: expect - failed, failed });
        return;
      }
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  };
  const polling = poll();

  onParentMessage(async (message) => {
    if (message.type === "finish") {
      await polling;
      let starts: number[] = [];
      try {
        starts = readFileSync(startsFile, "utf8").split("\n").filter(Boolean).map(Number);
      } catch {
        // the children never wrote it: fall back to the first poll that saw work taken
      }
      send({
        type: "final",
        completed: expect - failed,
        failed,
        firstStartMs: starts.length > 0 ? Math.min(...starts) : firstSeenMs,
        lastCompletedMs,
        cpuUs: Number.NaN,
      });
    } else if (message.type === "close") {
      done = true;
      await pool.close();
      await queue.close();
      rmSync(dir, { recursive: true, force: true });
      process.exit(0);
    }
  });
}

start(main);
