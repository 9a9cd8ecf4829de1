import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { type JobCounts, type JobInfo, Queue } from "@tq/client";
import { type QueueKeys, queueKeys } from "@tq/protocol";
import {
  isAlive,
  NodeProcess,
  type RedisServer,
  type RedisServerOptions,
  signal,
  sleep,
  startRedis,
  uniquePrefix,
  uniqueQueue,
  waitFor,
} from "@tq/testing";
import { type PoolChildExit, type TqError, WorkerPool, type WorkerPoolOptions } from "@tq/worker";
import { createClient } from "redis";
import { countStarts, type LedgerEntry, readLedger, starts } from "./ledger.js";
import { Producer } from "./producer.js";

const fixtures = join(dirname(fileURLToPath(import.meta.url)), "..", "fixtures");

/** The handlers module every worker of a scenario runs (a pool's `module`; see fixtures/handlers.mjs). */
export const handlersModule = join(fixtures, "handlers.mjs");

/** The `--import` module that shifts a process's clock by TQ_TEST_CLOCK_SHIFT_MS. */
export const clockShiftModule = join(fixtures, "clock-shift.mjs");

/** The compiled `tq-worker` bin of @tq/worker. */
function workerBin(): string {
  const manifest = createRequire(import.meta.url).resolve("@tq/worker/package.json");
  const { bin } = JSON.parse(readFileSync(manifest, "utf8")) as { bin: Record<string, string> };
  return join(dirname(manifest), bin["tq-worker"] ?? "dist/bin.js");
}

function createAdmin(url: string) {
  return createClient({ url, socket: { reconnectStrategy: () => 100 } });
}

/** A plain node-redis client of the scenario's own, for inspecting and breaking things. */
export type AdminClient = ReturnType<typeof createAdmin>;

/** A child exit as the pool reported it, with when (epoch ms). */
export type TimedExit = PoolChildExit & { at: number };

/** A WorkerPool started by a scenario, with everything it reported. */
export interface PoolHandle {
  pool: WorkerPool;
  exits: TimedExit[];
  /** Children that came online (at start and after each restart), with when (epoch ms). */
  online: Array<{ index: number; pid: number; at: number }>;
  errors: TqError[];
  /** The pool's own log lines. */
  logs: string[];
}

/** Options for {@link Scenario.startPool}: the pool's, plus a clock shift for its children. */
export type ScenarioPoolOptions = Partial<
  Omit<WorkerPoolOptions, "queue" | "module" | "connection" | "prefix">
> & {
  /** Shift the children's wall clock by this many milliseconds (fixtures/clock-shift.mjs). */
  clockShiftMs?: number;
};

/** Options for {@link Scenario.start}. */
export interface ScenarioOptions {
  /** Names the temp dir, the queue, the key prefix and the producer's job ids. @defaultValue "scenario" */
  label?: string;
  /** How its private redis-server runs. */
  redis?: RedisServerOptions;
}

/**
 * One scenario's world: a private redis-server, a queue on it that keeps every finished job, a ledger of executions
 * kept outside Redis, a producer, and the worker processes and pools the scenario starts. `close()` tears it all
 * down, whatever happened.
 */
export class Scenario {
  readonly label: string;
  readonly redis: RedisServer;
  readonly dir: string;
  /** The ledger file every worker appends its runs to (see fixtures/handlers.mjs). */
  readonly ledgerPath: string;
  /** Where the workers' console output goes. */
  readonly logPath: string;
  readonly queueName: string;
  readonly prefix: string;
  /** The queue's Redis keys. */
  readonly keys: QueueKeys;
  /** A producer that keeps every finished job (no retention limit), so each one can be checked at the end. */
  readonly queue: Queue;
  /** A node-redis client of the test's own: counts, CLIENT LIST, CLIENT KILL, CONFIG SET. */
  readonly admin: AdminClient;
  /** The load generator, which records which enqueues were acknowledged. */
  readonly producer: Producer;
  readonly pools: PoolHandle[] = [];
  /** Every process the scenario started itself (worker and producer processes, `tq-worker` bins). */
  readonly processes: NodeProcess[] = [];
  /** Pids of processes started by its pools and bins. */
  readonly #pids = new Set<number>();

  private constructor(label: string, redis: RedisServer, dir: string, admin: AdminClient) {
    this.label = label;
    this.redis = redis;
    this.dir = dir;
    this.ledgerPath = join(dir, "ledger.txt");
    this.logPath = join(dir, "children.log");
    this.queueName = uniqueQueue(label);
    this.prefix = uniquePrefix(label);
    this.keys = queueKeys(this.queueName, this.prefix);
    this.queue = new Queue(this.queueName, {
      connection: redis.url,
      prefix: this.prefix,
      retention: { completed: { count: -1 }, failed: { count: -1 } },
    });
    this.admin = admin;
    this.producer = new Producer(this.queue, label);
  }

  /**
   * Starts a private redis-server and the queue on it. The caller closes it; {@link startScenario} does so in
   * {@link closeScenarios} instead.
   */
  static async start(options: ScenarioOptions = {}): Promise<Scenario> {
    const label = options.label ?? "scenario";
    const dir = mkdtempSync(join(tmpdir(), `tq-${label}-`));
    let redis: RedisServer | undefined;
    let scenario: Scenario | undefined;
    try {
      redis = await startRedis(options.redis);
      const admin = createAdmin(redis.url);
      admin.on("error", () => {});
      await admin.connect();
      scenario = new Scenario(label, redis, dir, admin);
      // The first command opens the queue's connection, which stores its retention (keep every finished job) before
      // any worker runs.
      await scenario.queue.isPaused();
      return scenario;
    } catch (error) {
      if (scenario) await scenario.close().catch(() => {});
      else {
        await redis?.stop();
        rmSync(dir, { recursive: true, force: true });
      }
      throw error;
    }
  }

  /** The environment of worker processes: where to write the ledger and their console output. */
  childEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
    return { ...process.env, TQ_TEST_LEDGER: this.ledgerPath, TQ_TEST_LOG: this.logPath, ...extra };
  }

  /** Starts a fixture process (TypeScript, through tsx) that reports `{"event":"ready"}`; resolves once it has. */
  async #startFixture(script: string, env: NodeJS.ProcessEnv, what: string): Promise<NodeProcess> {
    const child = new NodeProcess(join(fixtures, script), {
      execArgv: ["--import", "tsx"],
      cwd: fixtures,
      env: this.childEnv(env),
      stderr: "inherit",
    });
    this.processes.push(child);
    await child.waitForEvent((e) => e.event === "ready", { what });
    return child;
  }

  /** Starts one Worker in a process of its own on the queue (fixtures/worker-process.ts); resolves once it is consuming. */
  startWorker(options: { concurrency?: number; leaseMs?: number } = {}): Promise<NodeProcess> {
    return this.#startFixture(
      "worker-process.ts",
      {
        REDIS_URL: this.redis.url,
        QUEUE: this.queueName,
        PREFIX: this.prefix,
        CONCURRENCY: String(options.concurrency ?? 1),
        LEASE_MS: String(options.leaseMs ?? 30_000),
      },
      "the worker to be ready",
    );
  }

  /**
   * Starts a producer process (fixtures/producer-process.ts) that enqueues a `work` job under each id once it reads
   * a line on stdin; resolves once it is connected.
   */
  startProducer(options: {
    ids: readonly string[];
    /** Queue instances (each with its own connection) racing inside this process. @defaultValue 1 */
    producers?: number;
  }): Promise<NodeProcess> {
    return this.#startFixture(
      "producer-process.ts",
      {
        REDIS_URL: this.redis.url,
        QUEUE: this.queueName,
        PREFIX: this.prefix,
        IDS: options.ids.join(","),
        PRODUCERS: String(options.producers ?? 1),
      },
      "the producer to be ready",
    );
  }

  /** Starts a WorkerPool on the queue (2 processes × 8 jobs, 5 s leases unless told otherwise). */
  async startPool(options: ScenarioPoolOptions = {}): Promise<PoolHandle> {
    const { clockShiftMs, ...rest } = options;
    const logs: string[] = [];
    const log = (obj: object | string, msg?: string) =>
      logs.push(typeof obj === "string" ? obj : `${msg ?? ""} ${JSON.stringify(obj)}`);
    const pool = new WorkerPool({
      processes: 2,
      concurrency: 8,
      leaseMs: 5_000,
      shutdownTimeoutMs: 5_000,
      restartDelayMs: 100,
      maxRestartDelayMs: 1_000,
      logger: { debug: log, info: log, warn: log, error: log },
      execArgv: clockShiftMs ? ["--import", clockShiftModule] : [],
      env: this.childEnv(clockShiftMs ? { TQ_TEST_CLOCK_SHIFT_MS: String(clockShiftMs) } : {}),
      ...rest,
      queue: this.queueName,
      prefix: this.prefix,
      connection: this.redis.url,
      module: handlersModule,
    });
    const handle: PoolHandle = { pool, exits: [], online: [], errors: [], logs };
    pool.on("exit", (exit) => handle.exits.push({ ...exit, at: Date.now() }));
    pool.on("online", (child) => {
      this.#pids.add(child.pid);
      handle.online.push({ ...child, at: Date.now() });
    });
    pool.on("error", (error) => handle.errors.push(error));
    this.pools.push(handle);
    await pool.start();
    return handle;
  }

  /** Runs the `tq-worker` bin on the queue; resolves with it and its children's pids once it is consuming. */
  async startBin(args: string[]): Promise<{ bin: NodeProcess; pids: number[] }> {
    const bin = new NodeProcess(workerBin(), {
      args: [
        "--queue",
        this.queueName,
        "--prefix",
        this.prefix,
        "--redis-url",
        this.redis.url,
        ...args,
        handlersModule,
      ],
      env: this.childEnv(),
    });
    this.processes.push(bin);
    const match = await bin.waitForOutput(/consuming queue .* \(pids ([\d, ]+)\)/, {
      what: "tq-worker to start",
    });
    const pids = (match[1] ?? "").split(", ").map(Number);
    for (const pid of pids) this.#pids.add(pid);
    return { bin, pids };
  }

  /** Every ledger entry so far. */
  ledger(): LedgerEntry[] {
    return readLedger(this.ledgerPath);
  }

  /** Every run started so far (the ledger's `S` entries), in the order they began. */
  runs(): LedgerEntry[] {
    return starts(this.ledger());
  }

  /** The workers' console lines so far. */
  childLog(): string[] {
    try {
      return readFileSync(this.logPath, "utf8").split("\n").filter(Boolean);
    } catch {
      return [];
    }
  }

  /** Waits until the ledger holds at least `n` execution starts. */
  async waitForStarts(n: number, timeoutMs = 60_000): Promise<void> {
    await waitFor(() => countStarts(this.ledgerPath) >= n, {
      what: `${this.label}: ${n} executions`,
      timeoutMs,
      intervalMs: 10,
    });
  }

  /** The queue's counts, or undefined while Redis does not answer. */
  async counts(): Promise<JobCounts | undefined> {
    try {
      return await this.queue.counts();
    } catch {
      return undefined;
    }
  }

  /** How many jobs are in the completed set. */
  async completedCount(): Promise<number> {
    return Number(await this.admin.zCard(this.keys.completed));
  }

  /**
   * Waits until the completed set holds as many jobs as `ids` (the scenario's queue keeps every finished job), then
   * returns the jobs with these ids.
   */
  async completed(ids: readonly string[], timeoutMs = 90_000): Promise<JobInfo[]> {
    await waitFor(async () => (await this.completedCount()) === ids.length, {
      what: `${this.label}: every job to complete`,
      timeoutMs,
    });
    return this.jobs(ids);
  }

  /** The jobs with these ids (throws if one does not exist). */
  async jobs(ids: readonly string[]): Promise<JobInfo[]> {
    const infos = await Promise.all(ids.map((id) => this.queue.getJob(id)));
    return infos.map((info, i) => {
      if (!info) throw new Error(`job ${ids[i]} does not exist`);
      return info;
    });
  }

  /**
   * Waits until nothing is scheduled, pending or active (twice in a row, 100 ms apart). Returns false if that did
   * not happen within `timeoutMs`: the analysis then reports what is stuck.
   */
  async quiesce(timeoutMs = 90_000): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    let quiet = 0;
    while (Date.now() < deadline) {
      const c = await this.counts();
      quiet = c && c.scheduled + c.pending + c.active === 0 ? quiet + 1 : 0;
      if (quiet >= 2) return true;
      await sleep(100);
    }
    return false;
  }

  /**
   * Kills everything the scenario started (resuming stopped processes first), stops Redis and removes the temp dir
   * (kept when TQ_TEST_KEEP is set).
   */
  async close(): Promise<void> {
    const errors: unknown[] = [];
    const attempt = async (fn: () => unknown) => {
      try {
        await fn();
      } catch (error) {
        errors.push(error);
      }
    };
    for (const child of this.processes) {
      child.signal("SIGCONT");
      child.signal("SIGKILL");
    }
    for (const pid of this.#pids) {
      if (isAlive(pid)) signal(pid, "SIGCONT");
    }
    await Promise.all(this.pools.map((handle) => attempt(() => handle.pool.close({ timeoutMs: 0 }))));
    for (const pid of this.#pids) if (isAlive(pid)) signal(pid, "SIGKILL");
    await Promise.all(this.processes.map((child) => child.exited));
    await attempt(() => this.queue.close());
    await attempt(() => this.admin.destroy());
    await attempt(() => this.redis.stop());
    if (!process.env.TQ_TEST_KEEP) rmSync(this.dir, { recursive: true, force: true });
    if (errors.length > 0) throw errors[0];
  }
}

const open = new Set<Scenario>();

/** Starts a scenario that {@link closeScenarios} (in `afterEach`) tears down, whatever happened. */
export async function startScenario(options: ScenarioOptions = {}): Promise<Scenario> {
  const scenario = await Scenario.start(options);
  open.add(scenario);
  return scenario;
}

/** Closes every scenario {@link startScenario} started; throws the first error once all are closed. */
export async function closeScenarios(): Promise<void> {
  const closing = [...open].map((scenario) => scenario.close());
  open.clear();
  const failed = (await Promise.allSettled(closing)).find((r) => r.status === "rejected");
  if (failed) throw failed.reason;
}

/** Kills Redis with SIGKILL, waits until every worker has noticed, and starts it again from its AOF. */
export async function crashAndRestartRedis(s: Scenario, workers: readonly NodeProcess[]): Promise<void> {
  const seen = workers.map((w) => w.events.length);
  s.redis.kill("SIGKILL");
  await s.redis.exited();
  await Promise.all(
    workers.map((w, i) =>
      w.waitForEvent((e) => e.event === "error", {
        from: seen[i],
        what: "the worker to notice Redis is gone",
      }),
    ),
  );
  await s.redis.restart();
}
