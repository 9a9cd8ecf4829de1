// WorkerPool scaling: throughput with 1, 2 and 4 worker processes (concurrency 50 each) against one in-process
// Worker, on a private redis-server, for no-op jobs (the queue's and the pool's own cost) and for CPU-bound jobs
// (what the pool is for). Each run pre-enqueues the jobs into a paused queue, starts the runner, resumes the queue
// and times how long it takes to empty it. Prints Markdown; `--write` also puts it into docs/benchmarks.md.
//
//   pnpm build && npx tsx packages/worker/bench/pool-scale.ts [--jobs 20000] [--cpu-jobs 2000] [--cpu-ms 2] [--runs 3] [--write]
import { readFileSync, writeFileSync } from "node:fs";
import { cpus, loadavg, totalmem } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { Queue } from "@tq/client";
import { startRedis, uniquePrefix, uniqueQueue } from "@tq/testing";
import { Worker, WorkerPool } from "@tq/worker";

const here = dirname(fileURLToPath(import.meta.url));
const { values } = parseArgs({
  options: {
    jobs: { type: "string", default: "20000" },
    "cpu-jobs": { type: "string", default: "2000" },
    "cpu-ms": { type: "string", default: "2" },
    runs: { type: "string", default: "3" },
    concurrency: { type: "string", default: "50" },
    write: { type: "boolean", default: false },
  },
});
const RUNS = Number(values.runs);
const CONCURRENCY = Number(values.concurrency);
const CPU_MS = Number(values["cpu-ms"]);
/** 0 stands for the baseline: one plain in-process `Worker`, no child process. */
const RUNNERS = [0, 1, 2, 4];

interface Scenario {
  title: string;
  task: "noop" | "spin";
  args: unknown[];
  jobs: number;
  what: string;
}

const SCENARIOS: Scenario[] = [
  {
    title: "No-op jobs",
    task: "noop",
    args: [],
    jobs: Number(values.jobs),
    what: "handlers that return at once: this measures the queue and the pool themselves.",
  },
  {
    title: `CPU-bound jobs (${CPU_MS} ms of busy CPU each)`,
    task: "spin",
    args: [CPU_MS],
    jobs: Number(values["cpu-jobs"]),
    what: `handlers that keep the CPU busy for ${CPU_MS} ms without yielding: one process runs one at a time whatever its concurrency, so this is where more processes help, up to the number of free cores.`,
  },
];

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

async function run(url: string, scenario: Scenario, processes: number): Promise<number> {
  const name = uniqueQueue("scale");
  const prefix = uniquePrefix("b");
  const queue = new Queue(name, { connection: url, prefix });
  await queue.pause();
  for (let i = 0; i < scenario.jobs; i += 1_000) {
    const n = Math.min(1_000, scenario.jobs - i);
    await queue.enqueueMany(Array.from({ length: n }, () => ({ task: scenario.task, args: scenario.args })));
  }
  const runner =
    processes === 0
      ? new Worker(
          name,
          {
            noop: () => undefined,
            spin: ([ms]: [number]) => {
              const end = performance.now() + ms;
              while (performance.now() < end) {
                // busy
              }
            },
          },
          { connection: url, prefix, concurrency: CONCURRENCY },
        )
      : new WorkerPool({
          queue: name,
          prefix,
          connection: url,
          module: join(here, "noop-tasks.mjs"),
          processes,
          concurrency: CONCURRENCY,
        });
  await runner.start();
  const started = performance.now();
  await queue.resume();
  for (;;) {
    const counts = await queue.counts();
    if (counts.pending === 0 && counts.active === 0 && counts.scheduled === 0) break;
    await sleep(20);
  }
  const seconds = (performance.now() - started) / 1000;
  await runner.close();
  await queue.close();
  return scenario.jobs / seconds;
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] as number;
};
const fmt = (n: number) => Math.round(n).toLocaleString("en-US");

async function measure(url: string, scenario: Scenario): Promise<string[]> {
  const results = new Map<number, number[]>(RUNNERS.map((p) => [p, []]));
  for (let r = 0; r < RUNS; r++) {
    // Rotate the order so that drift in the machine's load does not favour one row.
    const order = RUNNERS.map((_, i) => RUNNERS[(i + r) % RUNNERS.length] as number);
    for (const processes of order) {
      const rate = await run(url, scenario, processes);
      results.get(processes)?.push(rate);
      console.error(`${scenario.task} run ${r + 1}/${RUNS}: processes=${processes}: ${fmt(rate)} jobs/s`);
    }
  }
  const base = median(results.get(0) ?? [0]);
  return [
    `### ${scenario.title}`,
    "",
    `${scenario.jobs.toLocaleString("en-US")} jobs, ${scenario.what}`,
    "",
    "| runner | concurrency per process | jobs/s (median) | min–max | vs in-process |",
    "|---|---:|---:|---:|---:|",
    ...RUNNERS.map((p) => {
      const xs = results.get(p) ?? [];
      const m = median(xs);
      const label =
        p === 0 ? "in-process `Worker` (baseline)" : `\`WorkerPool\`, ${p} process${p === 1 ? "" : "es"}`;
      return `| ${label} | ${CONCURRENCY} | ${fmt(m)} | ${fmt(Math.min(...xs))}–${fmt(Math.max(...xs))} | ${(m / base).toFixed(2)}× |`;
    }),
    "",
  ];
}

async function main(): Promise<void> {
  const redis = await startRedis();
  const loadBefore = loadavg()[0] ?? 0;
  const tables: string[] = [];
  try {
    for (const scenario of SCENARIOS) tables.push(...(await measure(redis.url, scenario)));
  } finally {
    await redis.stop();
  }
  const loadAfter = loadavg()[0] ?? 0;
  const cpu = cpus()[0]?.model.trim() ?? "unknown CPU";
  const section = [
    "## WorkerPool scaling",
    "",
    `Measured ${new Date().toISOString().slice(0, 16).replace("T", " ")} UTC on ${cpus().length} vCPUs (${cpu}), ${(totalmem() / 2 ** 30).toFixed(1)} GiB RAM, Node ${process.version}, private \`redis-server\` (no persistence).`,
    "",
    `**The machine has 2 cores and is shared** (1-minute load average ${loadBefore.toFixed(2)} at the start, ${loadAfter.toFixed(2)} at the end). Redis, the benchmark process, the pool's supervisor and every worker process compete for those 2 cores, so adding processes cannot scale linearly here, and for no-op jobs, where Redis is the bottleneck, more processes only take CPU from Redis. Differences within the min–max spread are noise.`,
    "",
    "```sh",
    `pnpm build && npx tsx packages/worker/bench/pool-scale.ts --jobs ${SCENARIOS[0]?.jobs} --cpu-jobs ${SCENARIOS[1]?.jobs} --cpu-ms ${CPU_MS} --runs ${RUNS} --write`,
    "```",
    "",
    `Each run pre-enqueues the jobs into a paused queue, starts the runner, resumes the queue and stops the clock when no job is pending or active (polled every 20 ms). ${RUNS} runs per row, rows in rotating order; median, with min–max. The baseline is one \`Worker\` in the benchmark's own process, without child processes or IPC.`,
    "",
    ...tables,
  ].join("\n");
  console.log(section);
  if (values.write) {
    const file = join(here, "..", "..", "..", "docs", "benchmarks.md");
    let text = "# Benchmarks\n";
    try {
      text = readFileSync(file, "utf8");
    } catch {
      // created below
    }
    const start = "<!-- pool-scale:start -->";
    const end = "<!-- pool-scale:end -->";
    const block = `${start}\n${section}${end}`;
    const a = text.indexOf(start);
    const b = text.indexOf(end);
    text =
      a >= 0 && b > a
        ? text.slice(0, a) + block + text.slice(b + end.length)
        : `${text.trimEnd()}\n\n${block}\n`;
    writeFileSync(file, text);
    console.error(`wrote ${file}`);
  }
}

await main();
