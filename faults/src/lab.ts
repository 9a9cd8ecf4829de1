import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type JobCounts, Queue } from "@tq/client";
import {
  type RedisServer,
  type RedisServerOptions,
  startRedis,
  uniquePrefix,
  uniqueQueue,
} from "@tq/testing";
import { type PoolChildExit, type TqError, WorkerPool, type WorkerPoolOptions } from "@tq/worker";
import { createClient } from "redis";
import { countStarts, type LedgerEntry, readLedger } from "./ledger.js";
import {
  clockShiftModule,
  handlersModule,
  isAlive,
  type Spawned,
  signal,
  spawnNode,
  workerBin,
} from "./processes.js";
import { Producer } from "./producer.js";

function createAdmin(url: string) {
  return createClient({ url, socket: { reconnectStrategy: () => 100 } });
}

/** A plain node-redis client of the scenario's own, for inspecting and breaking things. */
export type Admin = ReturnType<typeof createAdmin>;

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

/** Options for {@link Lab.startPool}: the pool's, plus a clock shift for its children. */
export type LabPoolOptions = Partial<
  Omit<WorkerPoolOptions, "queue" | "module" | "connection" | "prefix">
> & {
  /** Shift the children's wall clock by this many milliseconds (fixtures/clock-shift.mjs). */
  clockShiftMs?: number;
};

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * One scenario's world: a private redis-server, a queue on it that keeps every finished job, a ledger of executions
 * kept outside Redis, a producer, and the worker pools and processes the scenario starts. `close()` tears it all
 * down, whatever happened.
 */
export class Lab {
  readonly id: string;
  readonly redis: RedisServer;
  readonly dir: string;
  /** The ledger file (see fixtures/handlers.mjs). */
  readonly ledgerPath: string;
  /** Where the children's console output goes. */
  readonly logPath: string;
  readonly queueName: string;
  readonly prefix: string;
  /** A producer that keeps every finished job (no retention limit), so each one can be checked at the end. */
  readonly queue: Queue;
  readonly admin: Admin;
  readonly producer: Producer;
  readonly pools: PoolHandle[] = [];
  readonly #spawned: Spawned[] = [];
  readonly #pids = new Set<number>();

  private constructor(id: string, redis: RedisServer, dir: string, admin: Admin) {
    this.id = id;
    this.redis = redis;
    this.dir = dir;
    this.ledgerPath = join(dir, "ledger.txt");
    this.logPath = join(dir, "children.log");
    this.queueName = uniqueQueue("faults");
    this.prefix = uniquePrefix("f");
    this.queue = new Queue(this.queueName, {
      connection: redis.url,
      prefix: this.prefix,
      retention: { completed: { count: -1 }, failed: { count: -1 } },
    });
    this.admin = admin;
    this.producer = new Producer(this.queue, id);
  }

  /** Starts a private redis-server and the queue on it. */
  static async start(id: string, redisOptions: RedisServerOptions = {}): Promise<Lab> {
    const dir = mkdtempSync(join(tmpdir(), `tq-faults-${id}-`));
    let redis: RedisServer | undefined;
    try {
      redis = await startRedis(redisOptions);
      const admin = createAdmin(redis.url);
      admin.on("error", () => {});
      await admin.connect();
      const lab = new Lab(id, redis, dir, admin);
      await lab.queue.isPaused(); // opens its connection
      return lab;
    } catch (error) {
      await redis?.stop();
      rmSync(dir, { recursive: true, force: true });
      throw error;
    }
  }

  /** The environment of worker processes: where to write the ledger and their console output. */
  childEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
    return { ...process.env, TQ_FAULTS_LEDGER: this.ledgerPath, TQ_FAULTS_LOG: this.logPath, ...extra };
  }

  /** Starts a WorkerPool on the queue (2 processes × 8 jobs, 5 s leases unless told otherwise). */
  async startPool(options: LabPoolOptions = {}): Promise<PoolHandle> {
    const { clockShiftMs, ...rest } = options;
    const logs: string[] = [];
    const log = (message: string) => logs.push(message);
    const pool = new WorkerPool({
      processes: 2,
      concurrency: 8,
      leaseMs: 5_000,
      shutdownTimeoutMs: 5_000,
      restartDelayMs: 100,
      maxRestartDelayMs: 1_000,
      logger: { debug: log, info: log, warn: log, error: log },
      execArgv: clockShiftMs ? ["--import", clockShiftModule] : [],
      env: this.childEnv(clockShiftMs ? { TQ_FAULTS_CLOCK_SHIFT_MS: String(clockShiftMs) } : {}),
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
  async startBin(args: string[]): Promise<{ bin: Spawned; pids: number[] }> {
    const bin = spawnNode(
      workerBin,
      [
        "--queue",
        this.queueName,
        "--prefix",
        this.prefix,
        "--redis-url",
        this.redis.url,
        ...args,
        handlersModule,
      ],
      this.childEnv(),
    );
    this.#spawned.push(bin);
    const deadline = Date.now() + 60_000;
    for (;;) {
      const match = /consuming queue .* \(pids ([\d, ]+)\)/.exec(bin.stdout());
      if (match) {
        const pids = (match[1] ?? "").split(", ").map(Number);
        for (const pid of pids) this.#pids.add(pid);
        return { bin, pids };
      }
      if (bin.proc.exitCode !== null || Date.now() > deadline) {
        throw new Error(`tq-worker did not start: ${bin.stderr()}`);
      }
      await sleep(20);
    }
  }

  /** Every ledger entry so far. */
  ledger(): LedgerEntry[] {
    return readLedger(this.ledgerPath);
  }

  /** The children's console lines so far. */
  childLog(): string[] {
    try {
      return readFileSync(this.logPath, "utf8").split("\n").filter(Boolean);
    } catch {
      return [];
    }
  }

  /** Waits until the ledger holds at least `n` execution starts. */
  async waitForStarts(n: number, timeoutMs = 60_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (countStarts(this.ledgerPath) < n) {
      if (Date.now() > deadline)
        throw new Error(`${this.id}: fewer than ${n} executions after ${timeoutMs} ms`);
      await sleep(10);
    }
  }

  /** Waits until `check` holds (polling; a test helper, not something tq does). */
  async until(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 60_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!(await check())) {
      if (Date.now() > deadline)
        throw new Error(`${this.id}: timed out after ${timeoutMs} ms waiting for ${what}`);
      await sleep(20);
    }
  }

  /** The queue's counts, or undefined while Redis does not answer. */
  async counts(): Promise<JobCounts | undefined> {
    try {
      return await this.queue.counts();
    } catch {
      return undefined;
    }
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

  /** Kills everything the scenario started, stops Redis and removes the temp dir (kept when TQ_FAULTS_KEEP is set). */
  async close(): Promise<void> {
    const errors: unknown[] = [];
    const attempt = async (fn: () => unknown) => {
      try {
        await fn();
      } catch (error) {
        errors.push(error);
      }
    };
    for (const spawned of this.#spawned) {
      if (spawned.proc.pid !== undefined) {
        signal(spawned.proc.pid, "SIGCONT");
        signal(spawned.proc.pid, "SIGKILL");
      }
    }
    for (const pid of this.#pids) {
      if (isAlive(pid)) signal(pid, "SIGCONT");
    }
    await Promise.all(this.pools.map((handle) => attempt(() => handle.pool.close({ timeoutMs: 0 }))));
    for (const pid of this.#pids) if (isAlive(pid)) signal(pid, "SIGKILL");
    await attempt(() => this.queue.close());
    await attempt(() => this.admin.destroy());
    await attempt(() => this.redis.stop());
    if (!process.env.TQ_FAULTS_KEEP) rmSync(this.dir, { recursive: true, force: true });
    if (errors.length > 0) throw errors[0];
  }
}
