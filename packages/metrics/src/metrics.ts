import type { ConnectionOption } from "@tq/connection";
import { checkTimerMs, quote, TqError } from "@tq/job-schema";
import { checkPrefix, DEFAULT_PREFIX, isValidQueueName } from "@tq/protocol";
import { register as globalRegistry, type Registry } from "prom-client";
import { JobHistograms, type ObservableWorker } from "./histograms.js";
import { QueueSeries } from "./queue-series.js";

/** Options for {@link createMetrics}. */
export interface MetricsOptions {
  /** The prom-client registry the metrics are registered in. @defaultValue prom-client's global `register` */
  registry?: Registry;
  /** Where Redis is, for the queue-level series. @defaultValue `process.env.REDIS_URL ?? "redis://127.0.0.1:6379"` */
  connection?: ConnectionOption;
  /** The key prefix of the queues. @defaultValue "tq" */
  prefix?: string;
  /** The queues whose series are reported. @defaultValue every queue registered under the prefix (`<prefix>:queues`) */
  queues?: readonly string[];
  /**
   * How long one scrape may wait for Redis, in milliseconds; what has not answered by then is left out and `tq_up`
   * is 0. @defaultValue 2_000
   */
  scrapeTimeoutMs?: number;
  /**
   * Whether to register the queue-level series read from Redis (`tq_jobs`, `tq_workers`, the `_total` counters,
   * `tq_up`, ...). `false` registers only the histograms and never connects (a process that only runs jobs and
   * whose histograms are merged elsewhere). @defaultValue true
   */
  queueSeries?: boolean;
}

/** tq's metrics in a prom-client registry: see {@link createMetrics}. */
export interface TqMetrics {
  /** The registry the metrics are in. */
  readonly registry: Registry;
  /**
   * Observes `worker`'s runs in `tq_job_wait_seconds` and `tq_job_run_seconds` (a `Worker` of `@tq/worker`).
   * Returns a function that stops observing it.
   */
  observe(worker: ObservableWorker): () => void;
  /** Removes the metrics from the registry and closes the Redis connection they opened. */
  close(): Promise<void>;
}

/** The default of {@link MetricsOptions.scrapeTimeoutMs}. */
export const DEFAULT_SCRAPE_TIMEOUT_MS = 2_000;

/**
 * Registers tq's metrics in a prom-client registry. Queue-level series are read from Redis when the registry is
 * scraped (one `queue.stats()` per queue per scrape, under `scrapeTimeoutMs`); the per-task histograms are observed
 * from the workers given to `observe()`. Serve `await registry.metrics()` on your own `/metrics`.
 *
 * @example
 * ```ts
 * const registry = new Registry();
 * const metrics = createMetrics({ registry, queues: ["emails"] });
 * metrics.observe(worker);
 * app.get("/metrics", async (_req, res) => res.type(registry.contentType).send(await registry.metrics()));
 * ```
 */
export function createMetrics(options: MetricsOptions = {}): TqMetrics {
  const registry = options.registry ?? globalRegistry;
  const prefix = checkPrefix(options.prefix ?? DEFAULT_PREFIX);
  const timeoutMs =
    checkTimerMs(options.scrapeTimeoutMs ?? DEFAULT_SCRAPE_TIMEOUT_MS, "scrapeTimeoutMs", { min: 1 }) ??
    DEFAULT_SCRAPE_TIMEOUT_MS;
  let queues: string[] | undefined;
  if (options.queues !== undefined) {
    if (!Array.isArray(options.queues)) {
      throw new TqError("VALIDATION", "queues must be an array of queue names");
    }
    for (const name of options.queues) {
      if (!isValidQueueName(name)) {
        throw new TqError(
          "VALIDATION",
          `queues: ${quote(String(name))} is not a queue name (1-200 characters of letters, digits and _ . : -)`,
        );
      }
    }
    queues = [...new Set(options.queues)];
  }
  for (const name of ["tq_job_wait_seconds", "tq_job_run_seconds", "tq_up"]) {
    if (registry.getSingleMetric(name)) {
      throw new TqError(
        "VALIDATION",
        `the registry already has ${name}: close the previous createMetrics() first`,
      );
    }
  }
  const histograms = new JobHistograms([registry]);
  const names = ["tq_job_wait_seconds", "tq_job_run_seconds"];
  const series =
    options.queueSeries === false
      ? undefined
      : new QueueSeries([registry], { connection: options.connection, prefix, queues, timeoutMs });
  if (series) names.push(...series.names);
  const stops = new Set<() => void>();
  let closed = false;
  return {
    registry,
    observe(worker) {
      if (closed) throw new TqError("CLOSED", "these metrics are closed");
      const stop = histograms.observe(worker);
      const once = () => {
        stop();
        stops.delete(once);
      };
      stops.add(once);
      return once;
    },
    async close() {
      if (closed) return;
      closed = true;
      for (const stop of [...stops]) stop();
      for (const name of names) registry.removeSingleMetric(name);
      await series?.close();
    },
  };
}
