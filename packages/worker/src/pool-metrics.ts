import type { RedisClientLike } from "@tq/connection";
import type { TqMetrics } from "@tq/metrics";
import type { AggregatorRegistry } from "prom-client";
import type { ChildHandle } from "./pool-child-handle.js";

/** How long a scrape waits for each child's histograms, in milliseconds; a child that is later is left out. */
export const CHILD_METRICS_TIMEOUT_MS = 1_000;

/** A scrape's answer: the text exposition and its content type. */
export interface MetricsReply {
  contentType: string;
  body: string;
}

/**
 * The pool's `/metrics`: the queue's series, read from Redis by the supervisor at scrape time, and the wait and run
 * time histograms of every child, asked for over IPC and merged with prom-client's `AggregatorRegistry.aggregate`.
 * A child's histograms live in its process: a child that restarts starts them again from zero.
 */
export class PoolMetrics {
  readonly #metrics: TqMetrics;
  readonly #children: () => ChildHandle[];
  readonly #aggregate: typeof AggregatorRegistry.aggregate;

  private constructor(
    metrics: TqMetrics,
    children: () => ChildHandle[],
    aggregate: typeof AggregatorRegistry.aggregate,
  ) {
    this.#metrics = metrics;
    this.#children = children;
    this.#aggregate = aggregate;
  }

  /** Loads `@tq/metrics` and prom-client (only a pool that serves `/metrics` does) and registers the series. */
  static async create(options: {
    connection: RedisClientLike;
    prefix: string;
    queue: string;
    children: () => ChildHandle[];
  }): Promise<PoolMetrics> {
    const [{ createMetrics }, { AggregatorRegistry, Registry }] = await Promise.all([
      import("@tq/metrics"),
      import("prom-client"),
    ]);
    const metrics = createMetrics({
      registry: new Registry(),
      connection: options.connection,
      prefix: options.prefix,
      queues: [options.queue],
    });
    return new PoolMetrics(metrics, options.children, (list) => AggregatorRegistry.aggregate(list));
  }

  async scrape(): Promise<MetricsReply> {
    const [own, ...children] = await Promise.all([
      this.#metrics.registry.getMetricsAsJSON(),
      ...this.#children().map((child) => child.metrics(CHILD_METRICS_TIMEOUT_MS)),
    ]);
    const answered = children.filter((metrics) => metrics !== undefined);
    const merged = this.#aggregate([own, ...answered]);
    return { contentType: merged.contentType, body: await merged.metrics() };
  }

  close(): Promise<void> {
    return this.#metrics.close();
  }
}
