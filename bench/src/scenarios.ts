import { RoleProcess, waitForProgress } from "./child.js";
import type { Library, ProduceMode, ProduceResult, RoleConfig, WorkerStats } from "./protocol.js";
import { profileBetween, type RedisAdmin, type RedisProfile } from "./redis-admin.js";
import { loadTq } from "./roles/tq-modules.js";

/** Every library the harness knows, in the order of the report's rows and columns. */
export const LIBRARIES: readonly Library[] = ["tq", "baseline", "bullmq", "bee-queue", "floor"];

/** The libraries a run measures when not told otherwise (plus `baseline` when a baseline checkout is given). */
export const DEFAULT_LIBRARIES: readonly Library[] = ["tq", "bullmq", "bee-queue", "floor"];

export const LIBRARY_NAMES: Record<Library, string> = {
  tq: "tq",
  baseline: "tq (baseline)",
  bullmq: "BullMQ",
  "bee-queue": "Bee-Queue",
  floor: "raw lists (floor)",
};

/** Whether the library is a tq build (the one under test or the baseline), driven by the tq role scripts. */
export const isTqBuild = (library: Library): boolean => library === "tq" || library === "baseline";

const ROLE_SCRIPTS: Record<Library, string> = {
  tq: "tq.ts",
  baseline: "tq.ts",
  bullmq: "bullmq.ts",
  "bee-queue": "bee-queue.ts",
  floor: "floor.ts",
};

/** What a scenario run gets from the runner. */
export interface RunContext {
  url: string;
  admin: RedisAdmin;
  /** A queue name no other run uses. */
  queue: string;
  /** The longest one run may take, in milliseconds. */
  timeoutMs: number;
  /** Environment for this library's role processes (for a tq build: which snapshot to load). */
  env: Record<string, string>;
  /** Registers a role process so the runner can kill it if the run fails. */
  track(role: RoleProcess): RoleProcess;
}

/** One run's numbers: `value` is the scenario's headline metric, `extra` the other columns. */
export interface Measurement {
  value: number;
  extra: Record<string, number>;
  profile?: RedisProfile;
}

export interface Column {
  key: string;
  label: string;
  /** Digits after the point. */
  digits: number;
}

export interface Scenario {
  id: string;
  title: string;
  /** A few words for the chart. */
  short: string;
  /** What it does, for the report. */
  description: string;
  /** The headline metric's column; its median drives the ratios and the chart. */
  primary: Column;
  /** More columns, each reported as median (min–max). */
  columns: Column[];
  higherIsBetter: boolean;
  /** Drawn in the throughput chart. */
  chart: boolean;
  /** Profiled (Redis commandstats per job) with --profile. */
  profiled: boolean;
  /** A reason not to run the scenario, checked at run time against the snapshot of each tq build that runs. */
  skipReason?(tqRoots: ReadonlyMap<Library, string>): Promise<string | undefined>;
  run(library: Library, ctx: RunContext): Promise<Measurement>;
}

/** Job counts and rates; `--quick` divides the counts by 10. */
export interface Sizes {
  serial: number;
  concurrent: number;
  inFlight: number;
  bulk: number;
  bulkBatch: number;
  process: number;
  mixed: number;
  mixedConcurrency: number;
  latencyPerSecond: number;
  latencySeconds: number;
  latencyConcurrency: number;
  memory: number;
  memoryConcurrency: number;
  pool: number;
  poolProcesses: number;
  poolConcurrency: number;
  /** Backlog growth: the pending backlogs the same measurement runs behind, smallest first. */
  backlog: number[];
  /** Backlog growth: delayed jobs waiting behind the smallest pending backlog. */
  backlogDelayed: number;
  /** Backlog growth: jobs enqueued, then processed, behind each backlog. */
  backlogMeasure: number;
  backlogConcurrency: number;
  /** CPU-bound pool: jobs per run, and how long each keeps the CPU busy. */
  poolCpu: number;
  poolCpuMs: number;
}

export function sizes(quick: boolean): Sizes {
  const k = quick ? 10 : 1;
  return {
    serial: 5_000 / k,
    concurrent: 20_000 / k,
    inFlight: 100,
    bulk: 20_000 / k,
    bulkBatch: 1_000,
    process: 20_000 / k,
    mixed: 100_000 / k,
    mixedConcurrency: 100,
    latencyPerSecond: 500,
    latencySeconds: quick ? 2 : 10,
    latencyConcurrency: 10,
    memory: 10_000 / k,
    memoryConcurrency: 10,
    pool: 20_000 / k,
    poolProcesses: 2,
    poolConcurrency: 10,
    backlog: [10_000 / k, 100_000 / k, 1_000_000 / k],
    backlogDelayed: 1_000_000 / k,
    backlogMeasure: 20_000 / k,
    backlogConcurrency: 100,
    poolCpu: 2_000 / k,
    poolCpuMs: 2,
  };
}

function roleConfig(ctx: RunContext, role: RoleConfig["role"], extra: Partial<RoleConfig> = {}): RoleConfig {
  return { role, url: ctx.url, queue: ctx.queue, ...extra };
}

async function spawnProducer(library: Library, ctx: RunContext): Promise<RoleProcess> {
  return ctx.track(await RoleProcess.spawn(ROLE_SCRIPTS[library], roleConfig(ctx, "producer"), ctx.env));
}

async function spawnWorker(
  library: Library,
  ctx: RunContext,
  concurrency: number,
  latency = false,
  cpuMs = 0,
): Promise<RoleProcess> {
  return ctx.track(
    await RoleProcess.spawn(
      ROLE_SCRIPTS[library],
      roleConfig(ctx, "worker", { concurrency, latency, ...(cpuMs > 0 ? { cpuMs } : {}) }),
      ctx.env,
    ),
  );
}

/**
 * Runs the pre-filled queue with `processes` worker processes of `concurrency` each: for tq one `WorkerPool`, for the
 * others that many worker processes side by side. Returns the combined stats.
 */
async function runProcesses(
  library: Library,
  ctx: RunContext,
  jobs: number,
  processes: number,
  concurrency: number,
  cpuMs = 0,
): Promise<WorkerStats> {
  let workers: RoleProcess[];
  if (isTqBuild(library)) {
    workers = [
      ctx.track(
        await RoleProcess.spawn(
          "tq-pool.ts",
          roleConfig(ctx, "pool", { processes, concurrency, expect: jobs, ...(cpuMs > 0 ? { cpuMs } : {}) }),
          ctx.env,
        ),
      ),
    ];
  } else {
    workers = await Promise.all(
      Array.from({ length: processes }, () => spawnWorker(library, ctx, concurrency, false, cpuMs)),
    );
  }
  await waitForProgress(workers, jobs, ctx.timeoutMs);
  const stats = combine(await finish(workers, ctx));
  await Promise.all(workers.map((w) => w.close()));
  checkAllDone(stats, jobs);
  return stats;
}

async function produce(producer: RoleProcess, how: ProduceMode, ctx: RunContext): Promise<ProduceResult> {
  producer.send({ type: "produce", ...how });
  return producer.next("produced", ctx.timeoutMs);
}

/** Pre-enqueues `count` jobs with the library's bulk call, untimed (each delayed by `delayMs` when given). */
async function fill(library: Library, ctx: RunContext, count: number, delayMs?: number): Promise<void> {
  const producer = await spawnProducer(library, ctx);
  await produce(producer, { mode: "bulk", count, batch: 1_000, ...(delayMs ? { delayMs } : {}) }, ctx);
  await producer.close();
}

async function finish(workers: readonly RoleProcess[], ctx: RunContext): Promise<WorkerStats[]> {
  return Promise.all(
    workers.map((w) => {
      w.send({ type: "finish" });
      return w.next("final", ctx.timeoutMs);
    }),
  );
}

function combine(stats: readonly WorkerStats[]): WorkerStats {
  const starts = stats.map((s) => s.firstStartMs).filter((t) => t > 0);
  return {
    completed: stats.reduce((sum, s) => sum + s.completed, 0),
    failed: stats.reduce((sum, s) => sum + s.failed, 0),
    firstStartMs: starts.length > 0 ? Math.min(...starts) : 0,
    lastCompletedMs: Math.max(...stats.map((s) => s.lastCompletedMs)),
    cpuUs: stats.reduce((sum, s) => sum + s.cpuUs, 0),
  };
}

function checkAllDone(stats: WorkerStats, expected: number): void {
  if (stats.failed > 0) throw new Error(`${stats.failed} of ${expected} jobs failed`);
  if (stats.completed < expected) throw new Error(`only ${stats.completed} of ${expected} jobs completed`);
}

const perSecond = (count: number, fromMs: number, toMs: number) =>
  (count * 1000) / Math.max(1, toMs - fromMs);

const JOBS_PER_S: Column = { key: "rate", label: "jobs/s", digits: 0 };
const REDIS_CPU: Column = { key: "redisCpu", label: "Redis CPU µs/job", digits: 1 };
const PRODUCER_CPU: Column = { key: "producerCpu", label: "producer CPU µs/job", digits: 1 };
const WORKER_CPU: Column = { key: "workerCpu", label: "worker CPU µs/job", digits: 1 };

function enqueueScenario(
  id: string,
  title: string,
  short: string,
  description: string,
  how: ProduceMode,
): Scenario {
  return {
    id,
    title,
    short,
    description,
    primary: JOBS_PER_S,
    columns: [PRODUCER_CPU, REDIS_CPU],
    higherIsBetter: true,
    chart: true,
    profiled: true,
    async run(library, ctx) {
      const producer = await spawnProducer(library, ctx);
      const before = await ctx.admin.snapshot();
      const result = await produce(producer, how, ctx);
      const after = await ctx.admin.snapshot();
      await producer.close();
      const profile = profileBetween(before, after, result.count);
      return {
        value: perSecond(result.count, result.startMs, result.endMs),
        extra: { producerCpu: result.cpuUs / result.count, redisCpu: profile.cpuUsPerJob },
        profile,
      };
    },
  };
}

function processScenario(size: Sizes, concurrency: number): Scenario {
  return {
    id: `process-c${concurrency}`,
    title: `Process pre-enqueued jobs, concurrency ${concurrency}`,
    short: `Process, concurrency ${concurrency}`,
    description:
      `${size.process.toLocaleString("en-US")} no-op jobs are enqueued first (bulk, untimed); then one worker ` +
      `process with concurrency ${concurrency} runs them. Jobs/s from the first handler start to the last ` +
      `completion the library reports, measured in the worker process.`,
    primary: JOBS_PER_S,
    columns: [WORKER_CPU, REDIS_CPU],
    higherIsBetter: true,
    chart: true,
    profiled: true,
    async run(library, ctx) {
      await fill(library, ctx, size.process);
      const before = await ctx.admin.snapshot();
      const worker = await spawnWorker(library, ctx, concurrency);
      await waitForProgress([worker], size.process, ctx.timeoutMs);
      const [stats] = await finish([worker], ctx);
      const after = await ctx.admin.snapshot();
      await worker.close();
      if (!stats) throw new Error("no stats from the worker");
      checkAllDone(stats, size.process);
      const profile = profileBetween(before, after, stats.completed);
      return {
        value: perSecond(stats.completed, stats.firstStartMs, stats.lastCompletedMs),
        extra: { workerCpu: stats.cpuUs / stats.completed, redisCpu: profile.cpuUsPerJob },
        profile,
      };
    },
  };
}

/** How long the delayed jobs of the backlog scenario wait: far past the end of the run. */
const BACKLOG_DELAY_MS = 24 * 3_600_000;

/** "10k", "1M": a backlog size in a scenario id. */
export function shortCount(count: number): string {
  if (count >= 1_000_000 && count % 1_000_000 === 0) return `${count / 1_000_000}m`;
  if (count >= 1_000 && count % 1_000 === 0) return `${count / 1_000}k`;
  return String(count);
}

/** The id prefix of the backlog scenarios; the report and chart of backlog growth gather them by it. */
export const BACKLOG_PREFIX = "backlog-";

/** The numbers a backlog scenario was run with, for the report's backlog section. */
export interface BacklogShape {
  pending: number;
  delayed: number;
}

/**
 * Enqueue and process rates behind a backlog: `pending` jobs (and `delayed` delayed jobs) are enqueued first (bulk,
 * untimed); then `measure` more jobs are enqueued with 100 calls in flight, and one worker process runs `measure` jobs
 * from the front of the queue. The same measurement behind growing backlogs says whether a library stays flat.
 */
function backlogScenario(size: Sizes, shape: BacklogShape): Scenario & { backlog: BacklogShape } {
  const n = (x: number) => x.toLocaleString("en-US");
  const { pending, delayed } = shape;
  const measure = size.backlogMeasure;
  const behind =
    delayed > 0 ? `${n(pending)} pending and ${n(delayed)} delayed jobs` : `${n(pending)} pending jobs`;
  return {
    id: `${BACKLOG_PREFIX}${shortCount(pending)}${delayed > 0 ? `-delayed-${shortCount(delayed)}` : ""}`,
    title: `Behind a backlog of ${behind}`,
    short: `Backlog ${shortCount(pending)}${delayed > 0 ? ` + ${shortCount(delayed)} delayed` : ""}`,
    description:
      `${n(pending)} jobs${delayed > 0 ? ` and ${n(delayed)} jobs delayed by 24 h` : ""} are enqueued first ` +
      `(bulk, untimed; the Redis memory they take is divided by their number: bytes per waiting job). Then one ` +
      `producer process enqueues ${n(measure)} more jobs with ${size.inFlight} calls in flight (enqueue jobs/s), ` +
      `and one worker process (concurrency ${size.backlogConcurrency}) starts and runs ${n(measure)} jobs from the ` +
      "front of the queue (jobs/s from its first handler start to the last completion it reports).",
    primary: JOBS_PER_S,
    columns: [
      { key: "enqueueRate", label: "enqueue jobs/s", digits: 0 },
      { key: "bytesPerWaiting", label: "bytes per waiting job", digits: 0 },
      WORKER_CPU,
      REDIS_CPU,
    ],
    higherIsBetter: true,
    chart: false,
    profiled: true,
    backlog: shape,
    async run(library, ctx) {
      const emptyMemory = await ctx.admin.usedMemory();
      await fill(library, ctx, pending);
      if (delayed > 0) await fill(library, ctx, delayed, BACKLOG_DELAY_MS);
      const bytesPerWaiting = ((await ctx.admin.usedMemory()) - emptyMemory) / (pending + delayed);
      const producer = await spawnProducer(library, ctx);
      const produced = await produce(
        producer,
        { mode: "concurrent", count: measure, inFlight: size.inFlight },
        ctx,
      );
      await producer.close();
      const before = await ctx.admin.snapshot();
      const worker = await spawnWorker(library, ctx, size.backlogConcurrency);
      await waitForProgress([worker], measure, ctx.timeoutMs);
      const [stats] = await finish([worker], ctx);
      const after = await ctx.admin.snapshot();
      await worker.close();
      if (!stats) throw new Error("no stats from the worker");
      if (stats.failed > 0) throw new Error(`${stats.failed} jobs failed`);
      const profile = profileBetween(before, after, stats.completed);
      return {
        value: perSecond(stats.completed, stats.firstStartMs, stats.lastCompletedMs),
        extra: {
          enqueueRate: perSecond(measure, produced.startMs, produced.endMs),
          bytesPerWaiting,
          workerCpu: stats.cpuUs / stats.completed,
          redisCpu: profile.cpuUsPerJob,
        },
        profile,
      };
    },
  };
}

/** A scenario's backlog, when it is one of the backlog scenarios. */
export function backlogOf(scenario: Scenario): BacklogShape | undefined {
  return (scenario as Partial<{ backlog: BacklogShape }>).backlog;
}

/** The backlog scenarios: the same measurement behind each pending backlog, then behind the delayed jobs. */
export function backlogScenarios(size: Sizes): Array<Scenario & { backlog: BacklogShape }> {
  const smallest = size.backlog[0] ?? 0;
  return [
    ...size.backlog.map((pending) => backlogScenario(size, { pending, delayed: 0 })),
    backlogScenario(size, { pending: smallest, delayed: size.backlogDelayed }),
  ];
}

async function workerPoolExported(root: string): Promise<boolean> {
  const { worker } = await loadTq(root);
  return typeof (worker as unknown as Record<string, unknown>).WorkerPool === "function";
}

/** Why a WorkerPool scenario cannot run: a tq build that does not export `WorkerPool`. */
async function withoutWorkerPool(tqRoots: ReadonlyMap<Library, string>): Promise<string | undefined> {
  for (const [library, root] of tqRoots) {
    if (!(await workerPoolExported(root)))
      return `not run: \`WorkerPool\` is not exported from \`@tq/worker\` in the ${LIBRARY_NAMES[library]} build`;
  }
  return undefined;
}

/** The scenarios, in the order they run within a round. */
export function scenarios(size: Sizes): Scenario[] {
  const n = (x: number) => x.toLocaleString("en-US");
  return [
    enqueueScenario(
      "enqueue-serial",
      "Enqueue one by one",
      "Enqueue, one by one",
      `${n(size.serial)} jobs from one producer process, each enqueue awaited before the next ` +
        "(`enqueue` / `add` / `createJob().save()`).",
      { mode: "serial", count: size.serial },
    ),
    enqueueScenario(
      "enqueue-concurrent",
      "Enqueue concurrently",
      `Enqueue, ${size.inFlight} in flight`,
      `${n(size.concurrent)} jobs from one producer process with ${size.inFlight} enqueue calls in flight.`,
      { mode: "concurrent", count: size.concurrent, inFlight: size.inFlight },
    ),
    enqueueScenario(
      "enqueue-bulk",
      "Enqueue in bulk",
      "Enqueue, bulk",
      `${n(size.bulk)} jobs from one producer process through the bulk call (\`enqueueMany\` / \`addBulk\` / ` +
        `\`saveAll\`), ${n(size.bulkBatch)} jobs per call, calls awaited one after another.`,
      { mode: "bulk", count: size.bulk, batch: size.bulkBatch },
    ),
    processScenario(size, 1),
    processScenario(size, 10),
    processScenario(size, 100),
    {
      id: "mixed",
      title: "Enqueue and process at the same time",
      short: "Enqueue + process at once",
      description:
        `One producer process enqueues ${n(size.mixed)} jobs (${size.inFlight} calls in flight) while one worker ` +
        `process (concurrency ${size.mixedConcurrency}) runs them. Jobs/s from the producer's first enqueue to ` +
        "the worker's last completion; the producer's own rate beside it.",
      primary: JOBS_PER_S,
      columns: [{ key: "producerRate", label: "producer jobs/s", digits: 0 }, WORKER_CPU, REDIS_CPU],
      higherIsBetter: true,
      chart: true,
      profiled: true,
      async run(library, ctx) {
        const worker = await spawnWorker(library, ctx, size.mixedConcurrency);
        const producer = await spawnProducer(library, ctx);
        const before = await ctx.admin.snapshot();
        const produced = await produce(
          producer,
          { mode: "concurrent", count: size.mixed, inFlight: size.inFlight },
          ctx,
        );
        await waitForProgress([worker], size.mixed, ctx.timeoutMs);
        const [stats] = await finish([worker], ctx);
        const after = await ctx.admin.snapshot();
        await Promise.all([producer.close(), worker.close()]);
        if (!stats) throw new Error("no stats from the worker");
        checkAllDone(stats, size.mixed);
        const profile = profileBetween(before, after, size.mixed);
        return {
          value: perSecond(size.mixed, produced.startMs, stats.lastCompletedMs),
          extra: {
            producerRate: perSecond(size.mixed, produced.startMs, produced.endMs),
            workerCpu: stats.cpuUs / size.mixed,
            redisCpu: profile.cpuUsPerJob,
          },
          profile,
        };
      },
    },
    {
      id: "latency",
      title: "Enqueue→start latency at a steady rate",
      short: "Latency",
      description:
        `One producer process enqueues ${size.latencyPerSecond} jobs/s for ${size.latencySeconds} s, each stamped ` +
        `with the wall-clock time; one worker process (concurrency ${size.latencyConcurrency}, already idle and ` +
        "waiting) subtracts the stamp from the time its handler starts. Same machine, same clock, read as " +
        "`performance.timeOrigin + performance.now()` for sub-millisecond resolution. Milliseconds, lower is better.",
      primary: { key: "p50", label: "p50 ms", digits: 2 },
      columns: [
        { key: "p95", label: "p95 ms", digits: 2 },
        { key: "p99", label: "p99 ms", digits: 2 },
        { key: "max", label: "max ms", digits: 0 },
      ],
      higherIsBetter: false,
      chart: false,
      profiled: true,
      async run(library, ctx) {
        const count = size.latencyPerSecond * size.latencySeconds;
        const worker = await spawnWorker(library, ctx, size.latencyConcurrency, true);
        const producer = await spawnProducer(library, ctx);
        const before = await ctx.admin.snapshot();
        await produce(producer, { mode: "paced", count, perSecond: size.latencyPerSecond }, ctx);
        await waitForProgress([worker], count, ctx.timeoutMs);
        const [stats] = await finish([worker], ctx);
        const after = await ctx.admin.snapshot();
        await Promise.all([producer.close(), worker.close()]);
        if (!stats?.latency) throw new Error("no latency from the worker");
        checkAllDone(stats, count);
        const { p50, p95, p99, max } = stats.latency;
        // Redis's work per job on this path: the enqueue, the idle worker's wake-up and its claim and ack
        return { value: p50, extra: { p95, p99, max }, profile: profileBetween(before, after, count) };
      },
    },
    {
      id: "memory",
      title: "Redis memory after completed jobs",
      short: "Memory",
      description:
        `${n(size.memory)} jobs enqueued (bulk) and completed by one worker process (concurrency ` +
        `${size.memoryConcurrency}), each library with its default retention of finished jobs: tq keeps the ` +
        "newest 1,000 completed jobs, BullMQ and Bee-Queue keep all of them. `INFO memory` `used_memory` after " +
        "all clients disconnected, minus the value on the flushed server before; bytes per job and keys left. " +
        "Lower is better.",
      primary: { key: "bytesPerJob", label: "bytes/job", digits: 0 },
      columns: [
        { key: "deltaMiB", label: "used_memory Δ MiB", digits: 2 },
        { key: "keys", label: "keys left", digits: 0 },
      ],
      higherIsBetter: false,
      chart: false,
      profiled: false,
      async run(library, ctx) {
        const baseline = await ctx.admin.usedMemory();
        const worker = await spawnWorker(library, ctx, size.memoryConcurrency);
        const producer = await spawnProducer(library, ctx);
        await produce(producer, { mode: "bulk", count: size.memory, batch: size.bulkBatch }, ctx);
        await waitForProgress([worker], size.memory, ctx.timeoutMs);
        const [stats] = await finish([worker], ctx);
        await Promise.all([producer.close(), worker.close()]);
        if (!stats) throw new Error("no stats from the worker");
        checkAllDone(stats, size.memory);
        await new Promise((resolve) => setTimeout(resolve, 300));
        const delta = (await ctx.admin.usedMemory()) - baseline;
        return {
          value: delta / size.memory,
          extra: { deltaMiB: delta / 1024 / 1024, keys: await ctx.admin.dbSize() },
        };
      },
    },
    {
      id: "pool",
      title: `${size.poolProcesses} worker processes (tq: WorkerPool)`,
      short: `${size.poolProcesses} worker processes`,
      description:
        `${n(size.pool)} no-op jobs enqueued first (bulk, untimed), then run by ${size.poolProcesses} worker ` +
        `processes with concurrency ${size.poolConcurrency} each: tq's \`WorkerPool\` (processes: ` +
        `${size.poolProcesses}), and for BullMQ and Bee-Queue ${size.poolProcesses} worker processes started ` +
        "side by side. Jobs/s from the first handler start to the last completion. For tq the first start is " +
        "written by the pool children's handler module and the last completion is the newest completed job's " +
        "`finishedAt`.",
      primary: JOBS_PER_S,
      columns: [REDIS_CPU],
      higherIsBetter: true,
      chart: true,
      profiled: false,
      skipReason: withoutWorkerPool,
      async run(library, ctx) {
        await fill(library, ctx, size.pool);
        const before = await ctx.admin.snapshot();
        const stats = await runProcesses(library, ctx, size.pool, size.poolProcesses, size.poolConcurrency);
        const after = await ctx.admin.snapshot();
        const profile = profileBetween(before, after, stats.completed);
        return {
          value: perSecond(stats.completed, stats.firstStartMs, stats.lastCompletedMs),
          extra: { redisCpu: profile.cpuUsPerJob },
        };
      },
    },
    {
      id: "pool-cpu",
      title: `CPU-bound jobs, 1 and ${size.poolProcesses} worker processes`,
      short: `CPU-bound, ${size.poolProcesses} processes`,
      description:
        `${n(size.poolCpu)} jobs that each keep the CPU busy for ${size.poolCpuMs} ms, enqueued first (bulk, ` +
        "untimed), run by one worker process (concurrency 1), then the same again by " +
        `${size.poolProcesses} processes (tq: a \`WorkerPool\` of 1, then of ${size.poolProcesses}; the others: ` +
        "that many worker processes side by side). Jobs/s from the first handler start to the last completion; " +
        `the headline is the ${size.poolProcesses}-process rate, and **scaling** divides it by the 1-process rate ` +
        `(${size.poolProcesses}× would be perfect; Redis and the runner share the same cores).`,
      primary: JOBS_PER_S,
      columns: [
        { key: "oneProcess", label: "1 process jobs/s", digits: 0 },
        { key: "scaling", label: "scaling", digits: 2 },
      ],
      higherIsBetter: true,
      chart: false,
      profiled: false,
      skipReason: withoutWorkerPool,
      async run(library, ctx) {
        const rate = async (processes: number) => {
          await fill(library, ctx, size.poolCpu);
          const stats = await runProcesses(library, ctx, size.poolCpu, processes, 1, size.poolCpuMs);
          return perSecond(stats.completed, stats.firstStartMs, stats.lastCompletedMs);
        };
        const one = await rate(1);
        const many = await rate(size.poolProcesses);
        return { value: many, extra: { oneProcess: one, scaling: many / one } };
      },
    },
    ...backlogScenarios(size),
  ];
}
