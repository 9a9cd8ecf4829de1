/**
 * The messages between the runner and its role processes (over the IPC channel of `child_process.fork`).
 * A role process gets its {@link RoleConfig} as JSON in argv[2], connects, and says `ready`.
 */

/**
 * Which queue library a role process drives. `baseline` is tq too, built from another checkout (`--baseline`): the
 * same role scripts, another copy of the packages. `floor` is no library: the smallest at-least-once queue on raw
 * Redis lists (roles/floor.ts), a yardstick for what Redis allows.
 */
export type Library = "tq" | "baseline" | "bullmq" | "bee-queue" | "floor";

/** The payload of every benchmark job: its index and, for the latency scenario, when it was enqueued (epoch ms). */
export interface JobData {
  i: number;
  t: number;
}

/** What a role process is told at spawn time. */
export interface RoleConfig {
  role: "producer" | "worker" | "pool";
  /** The private Redis server's URL. */
  url: string;
  queue: string;
  /** Jobs in flight in the worker process (worker and pool roles). */
  concurrency?: number;
  /** Child processes of the pool (pool role). */
  processes?: number;
  /** How many jobs the pool role waits for (pool role). */
  expect?: number;
  /** Record enqueue→start latency from `JobData.t` (worker role). */
  latency?: boolean;
  /** Each job's handler keeps the CPU busy this long, in milliseconds (worker and pool roles): a CPU-bound job. */
  cpuMs?: number;
}

/** How a producer enqueues. */
export type ProduceMode =
  /** one job at a time, each awaited */
  | { mode: "serial"; count: number }
  /** `inFlight` enqueue calls outstanding at any time */
  | { mode: "concurrent"; count: number; inFlight: number }
  /**
   * the library's bulk call, `batch` jobs per call, calls awaited one after another; with `delayMs`, each job is
   * delayed that long (it waits in the library's delayed set)
   */
  | { mode: "bulk"; count: number; batch: number; delayMs?: number }
  /** a steady rate, each job stamped with Date.now() */
  | { mode: "paced"; count: number; perSecond: number };

export type ParentMessage =
  | ({ type: "produce" } & ProduceMode)
  /** The worker replies with `final`. */
  | { type: "finish" }
  /** Close connections and exit. */
  | { type: "close" };

/** What a worker reports when told to finish. */
export interface WorkerStats {
  completed: number;
  failed: number;
  /** When the first handler call started (epoch ms), or 0. */
  firstStartMs: number;
  /** When the last completion was reported by the library (epoch ms), or 0. */
  lastCompletedMs: number;
  /** CPU time of this process since it was ready, in microseconds. */
  cpuUs: number;
  /** Enqueue→start latencies in ms, when asked for. */
  latency?: LatencySummary;
}

export interface LatencySummary {
  n: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
}

export interface ProduceResult {
  count: number;
  startMs: number;
  endMs: number;
  /** CPU time of the producer process during the run, in microseconds. */
  cpuUs: number;
}

export type ChildMessage =
  | { type: "ready" }
  | { type: "progress"; completed: number; failed: number }
  | ({ type: "produced" } & ProduceResult)
  | ({ type: "final" } & WorkerStats)
  | { type: "error"; message: string };
