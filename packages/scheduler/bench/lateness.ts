// Delayed job lateness: how long after its run time (Redis clock) a delayed job starts on an idle worker, and
// whether any starts early. Starts its own redis-server; run from the repository root after `pnpm build`:
//
//   npx tsx packages/scheduler/bench/lateness.ts [--jobs 10000] [--spread-ms 5000] [--concurrency 100] [--write]
//
// `--write` replaces the "## Delayed job lateness" section of docs/benchmarks.md with the result table.
import { readFileSync, writeFileSync } from "node:fs";
import { cpus, loadavg, totalmem } from "node:os";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { ENQUEUE_MANY_MAX_JOBS, type EnqueuedJob, Queue } from "@tq/client";
import { queueKeys } from "@tq/protocol";
import { startRedis } from "@tq/testing";
import { Worker } from "@tq/worker";
import { createClient } from "redis";
import { Scheduler } from "../src/index.js";

const { values } = parseArgs({
  options: {
    jobs: { type: "string", default: "10000" },
    "spread-ms": { type: "string", default: "5000" },
    "lead-ms": { type: "string", default: "1500" },
    concurrency: { type: "string", default: "100" },
    write: { type: "boolean", default: false },
  },
});
const JOBS = Number(values.jobs);
const SPREAD_MS = Number(values["spread-ms"]);
const LEAD_MS = Number(values["lead-ms"]);
const CONCURRENCY = Number(values.concurrency);
const HEADING = "## Delayed job lateness";

interface Result {
  scenario: string;
  jobs: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
  mean: number;
  early: number;
}

function percentile(sorted: readonly number[], q: number): number {
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[rank] as number;
}

async function measure(url: string, scenario: string, withScheduler: boolean): Promise<Result> {
  const name = `lateness-${withScheduler ? "sched" : "worker"}-${Date.now()}`;
  const retention = { completed: { count: -1 } };
  const queue = new Queue(name, { connection: url, retention });
  const worker = new Worker(
    name,
    { noop: async () => null },
    { connection: url, concurrency: CONCURRENCY, retention },
  );
  const scheduler = withScheduler ? new Scheduler({ connection: url, queues: [name] }) : undefined;
  await worker.start();
  await scheduler?.start();
  // Run times spread evenly over SPREAD_MS, starting LEAD_MS from now, enqueued in random order.
  const delays = Array.from({ length: JOBS }, (_, i) => LEAD_MS + Math.floor((i * SPREAD_MS) / JOBS));
  for (let i = delays.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [delays[i], delays[j]] = [delays[j] as number, delays[i] as number];
  }
  // in calls of at most ENQUEUE_MANY_MAX_JOBS, each one atomic script call
  const jobs: EnqueuedJob[] = [];
  for (let i = 0; i < delays.length; i += ENQUEUE_MANY_MAX_JOBS) {
    const chunk = delays.slice(i, i + ENQUEUE_MANY_MAX_JOBS);
    jobs.push(...(await queue.enqueueMany(chunk.map((delayMs) => ({ task: "noop", opts: { delayMs } })))));
  }
  for (;;) {
    const counts = await queue.counts();
    if (counts.completed + counts.failed >= JOBS) break;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  const client = createClient({ url });
  await client.connect();
  const lateness: number[] = [];
  const keys = queueKeys(queue.name, queue.prefix);
  for (let i = 0; i < jobs.length; i += 1000) {
    const replies = await Promise.all(
      jobs
        .slice(i, i + 1000)
        .map(
          (job) =>
            client.sendCommand(["HMGET", keys.job(job.id), "runAt", "startedAt"]) as Promise<
              [string | null, string | null]
            >,
        ),
    );
    for (const [runAt, startedAt] of replies) {
      if (runAt !== null && startedAt !== null) lateness.push(Number(startedAt) - Number(runAt));
    }
  }
  await client.close();
  await scheduler?.close();
  await worker.close();
  await queue.close();
  lateness.sort((a, b) => a - b);
  return {
    scenario,
    jobs: lateness.length,
    p50: percentile(lateness, 0.5),
    p95: percentile(lateness, 0.95),
    p99: percentile(lateness, 0.99),
    max: lateness[lateness.length - 1] as number,
    mean: lateness.reduce((a, b) => a + b, 0) / lateness.length,
    early: lateness.filter((l) => l < 0).length,
  };
}

function table(results: readonly Result[]): string {
  const rows = results.map(
    (r) =>
      `| ${r.scenario} | ${r.jobs.toLocaleString("en-US")} | ${r.p50} | ${r.p95} | ${r.p99} | ${r.max} | ${r.mean.toFixed(1)} | ${r.early} |`,
  );
  return [
    "| scenario | jobs | p50 ms | p95 ms | p99 ms | max ms | mean ms | started early |",
    "|---|---:|---:|---:|---:|---:|---:|---:|",
    ...rows,
  ].join("\n");
}

function section(results: readonly Result[], redisVersion: string): string {
  const when = new Date().toISOString().slice(0, 16).replace("T", " ");
  const cpu = cpus()[0]?.model.trim() ?? "unknown CPU";
  return `${HEADING}

Measured ${when} UTC on ${cpus().length} vCPUs (${cpu}), ${(totalmem() / 2 ** 30).toFixed(1)} GiB RAM; Node ${process.version}, Redis ${redisVersion} (private \`redis-server\`, no persistence). 1-minute load average at the end: ${loadavg()[0]?.toFixed(2)}.

${JOBS.toLocaleString("en-US")} no-op jobs with run times spread evenly over ${SPREAD_MS / 1000} s (starting ${LEAD_MS / 1000} s after the enqueue), enqueued in random order by \`enqueueMany\` calls of 1,000, and one idle \`Worker\` (concurrency ${CONCURRENCY}) in the same process. Lateness is \`startedAt − runAt\` of each job, both stamped by Redis (\`TIME\` inside the scripts), in whole milliseconds; "started early" counts jobs with \`startedAt < runAt\` and must be 0. In the second row a \`Scheduler\` (in the same Node process) sweeps the queue as well, racing the worker to promote due jobs.

${table(results)}

Reproduce (from the repository root; Redis must be installed, the script starts its own server):

\`\`\`sh
pnpm build && npx tsx packages/scheduler/bench/lateness.ts --write
\`\`\`
`;
}

function writeSection(text: string): void {
  const file = fileURLToPath(new URL("../../../docs/benchmarks.md", import.meta.url));
  let doc: string;
  try {
    doc = readFileSync(file, "utf8");
  } catch {
    doc = "# Benchmarks\n";
  }
  const start = doc.indexOf(`${HEADING}\n`);
  if (start < 0) {
    doc = `${doc.trimEnd()}\n\n${text}`;
  } else {
    const rest = doc.slice(start + HEADING.length);
    const next = rest.search(/\n(## |<!-- )/);
    const end = next < 0 ? doc.length : start + HEADING.length + next + 1;
    doc = `${doc.slice(0, start)}${text}${end < doc.length ? `\n${doc.slice(end)}` : ""}`;
  }
  writeFileSync(file, doc);
  console.log(`wrote "${HEADING}" in ${file}`);
}

const redis = await startRedis();
try {
  const probe = createClient({ url: redis.url });
  await probe.connect();
  const info = String(await probe.sendCommand(["INFO", "server"]));
  await probe.close();
  const redisVersion = /redis_version:(\S+)/.exec(info)?.[1] ?? "unknown";
  const results = [
    await measure(redis.url, "idle worker", false),
    await measure(redis.url, "idle worker + scheduler", true),
  ];
  console.log(table(results));
  if (values.write) writeSection(section(results, redisVersion));
  if (results.some((r) => r.early > 0 || r.jobs !== JOBS)) process.exitCode = 1;
} finally {
  await redis.stop();
}
