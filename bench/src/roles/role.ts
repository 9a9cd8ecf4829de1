import type {
  ChildMessage,
  JobData,
  LatencySummary,
  ParentMessage,
  ProduceMode,
  ProduceResult,
  RoleConfig,
} from "../protocol.js";
import { percentile } from "../stats.js";

/** The producer side of one library. */
export interface ProducerHandle {
  /** Enqueues one job; resolves once the library says it is stored. */
  add(data: JobData): Promise<void>;
  /** Enqueues many jobs with the library's bulk call, each delayed by `delayMs` when given. */
  addBulk(data: JobData[], delayMs?: number): Promise<void>;
  close(): Promise<void>;
}

/** What a worker adapter calls back. */
export interface WorkerHooks {
  /** A handler started running a job. */
  onStart(data: JobData): void;
  /** The library reported a job completed (after it stored the outcome). */
  onCompleted(): void;
  onFailed(error: unknown): void;
}

export interface WorkerHandle {
  close(): Promise<void>;
}

/** One library, as the role processes drive it. */
export interface LibraryAdapter {
  openProducer(config: RoleConfig): Promise<ProducerHandle>;
  /** Creates a worker that is consuming when the promise resolves. */
  openWorker(config: RoleConfig, hooks: WorkerHooks): Promise<WorkerHandle>;
}

/**
 * Wall-clock time in epoch milliseconds with sub-millisecond resolution (`Date.now()` has whole milliseconds only,
 * too coarse for enqueue→start latency). Every process reads the same system clock.
 */
export function preciseNow(): number {
  return performance.timeOrigin + performance.now();
}

export function send(message: ChildMessage): void {
  process.send?.(message);
}

export function readConfig(): RoleConfig {
  const raw = process.argv[2];
  if (!raw) throw new Error("role process needs its config as JSON in argv[2]");
  return JSON.parse(raw) as RoleConfig;
}

/** Keeps this thread busy for `ms` milliseconds: the work of a CPU-bound job. */
export function burnCpu(ms: number): void {
  const until = performance.now() + ms;
  while (performance.now() < until) {
    // spin
  }
}

export function cpuUs(since: NodeJS.CpuUsage): number {
  const used = process.cpuUsage(since);
  return used.user + used.system;
}

/** Calls `handler` for each message from the runner; exits when the runner goes away. */
export function onParentMessage(handler: (message: ParentMessage) => Promise<void>): void {
  let chain = Promise.resolve();
  process.on("message", (message: ParentMessage) => {
    chain = chain.then(() =>
      handler(message).catch((error: unknown) => {
        send({
          type: "error",
          message: error instanceof Error ? (error.stack ?? error.message) : String(error),
        });
      }),
    );
  });
  process.on("disconnect", () => process.exit(0));
}

async function produce(producer: ProducerHandle, how: ProduceMode): Promise<ProduceResult> {
  const cpu = process.cpuUsage();
  const startMs = Date.now();
  switch (how.mode) {
    case "serial":
      for (let i = 0; i < how.count; i++) await producer.add({ i, t: 0 });
      break;
    case "concurrent": {
      let next = 0;
      const lane = async () => {
        while (next < how.count) {
          const i = next++;
          await producer.add({ i, t: 0 });
        }
      };
      await Promise.all(Array.from({ length: Math.min(how.inFlight, how.count) }, lane));
      break;
    }
    case "bulk":
      for (let from = 0; from < how.count; from += how.batch) {
        const batch: JobData[] = [];
        for (let i = from; i < Math.min(how.count, from + how.batch); i++) batch.push({ i, t: 0 });
        await producer.addBulk(batch, how.delayMs);
      }
      break;
    case "paced": {
      const inFlight = new Set<Promise<void>>();
      let sent = 0;
      let failure: unknown;
      while (sent < how.count && failure === undefined) {
        const due = Math.min(how.count, Math.floor(((Date.now() - startMs) * how.perSecond) / 1000) + 1);
        while (sent < due) {
          const p: Promise<void> = producer
            .add({ i: sent, t: preciseNow() })
            .catch((error: unknown) => {
              failure = error;
            })
            .finally(() => inFlight.delete(p));
          inFlight.add(p);
          sent++;
        }
        await new Promise((resolve) => setTimeout(resolve, 1));
      }
      await Promise.all(inFlight);
      if (failure !== undefined) throw failure;
      break;
    }
  }
  return { count: how.count, startMs, endMs: Date.now(), cpuUs: cpuUs(cpu) };
}

function summarize(latencies: number[]): LatencySummary {
  const sorted = latencies.slice().sort((a, b) => a - b);
  return {
    n: sorted.length,
    p50: percentile(sorted, 0.5),
    p95: percentile(sorted, 0.95),
    p99: percentile(sorted, 0.99),
    max: sorted[sorted.length - 1] ?? 0,
  };
}

/** Runs this process as the producer or worker the config names, driving the given library. */
export async function runRole(adapter: LibraryAdapter): Promise<void> {
  const config = readConfig();
  if (config.role === "producer") {
    const producer = await adapter.openProducer(config);
    onParentMessage(async (message) => {
      if (message.type === "produce") {
        send({ type: "produced", ...(await produce(producer, message)) });
      } else if (message.type === "close") {
        await producer.close();
        process.exit(0);
      }
    });
    send({ type: "ready" });
    return;
  }

  let completed = 0;
  let failed = 0;
  let firstStartMs = 0;
  let lastCompletedMs = 0;
  const latencies: number[] = [];
  const hooks: WorkerHooks = {
    onStart(data) {
      if (firstStartMs === 0) firstStartMs = Date.now();
      if (config.latency) latencies.push(preciseNow() - data.t);
      if (config.cpuMs) burnCpu(config.cpuMs);
    },
    onCompleted() {
      completed++;
      lastCompletedMs = Date.now();
    },
    onFailed() {
      failed++;
    },
  };
  const worker = await adapter.openWorker(config, hooks);
  const cpu = process.cpuUsage();
  let reported = -1;
  const ticker = setInterval(() => {
    if (completed + failed === reported) return;
    reported = completed + failed;
    send({ type: "progress", completed, failed });
  }, 50);
  onParentMessage(async (message) => {
    if (message.type === "finish") {
      clearInterval(ticker);
      send({
        type: "final",
        completed,
        failed,
        firstStartMs,
        lastCompletedMs,
        cpuUs: cpuUs(cpu),
        ...(config.latency ? { latency: summarize(latencies) } : {}),
      });
    } else if (message.type === "close") {
      clearInterval(ticker);
      await worker.close();
      process.exit(0);
    }
  });
  send({ type: "ready" });
}

/** Runs `main` and reports a failure to the runner before exiting. */
export function start(main: () => Promise<void>): void {
  main().catch((error: unknown) => {
    send({ type: "error", message: error instanceof Error ? (error.stack ?? error.message) : String(error) });
    setTimeout(() => process.exit(1), 50);
  });
}
