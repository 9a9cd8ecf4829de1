import { Queue, type QueueStats } from "@tq/client";
import { type ConnectionOption, RedisConnection } from "@tq/connection";
import { isValidQueueName, queuesKey } from "@tq/protocol";
import { Counter, Gauge, type Registry } from "prom-client";
import { JOB_STATES, TOTALS } from "./names.js";

/** What one scrape read from Redis. */
interface Snapshot {
  stats: Map<string, QueueStats>;
  /** Whether every read answered within the scrape timeout. */
  complete: boolean;
}

/** The most queue names read from `<prefix>:queues` when no `queues` list is given. */
const MAX_LISTED_QUEUES = 1_000;

class ScrapeTimeout extends Error {}

/**
 * The queue-level series, read from Redis when the registry is scraped (prom-client's `collect()`), so that every
 * process serving them reports the same global numbers. One scrape makes one `stats()` call per queue, shared by
 * every series, under one deadline: a Redis that is slow or down yields what answered in time and `tq_up 0`.
 */
export class QueueSeries {
  readonly #connectionOption: ConnectionOption | undefined;
  readonly #prefix: string;
  readonly #queueNames: readonly string[] | undefined;
  readonly #timeoutMs: number;
  readonly #queues = new Map<string, Queue>();
  readonly #names: string[] = [];
  #connection: Promise<RedisConnection> | undefined;
  #opened: RedisConnection | undefined;
  #scrape: Promise<Snapshot> | undefined;
  #closed = false;
  /** Scrapes that did not read everything in time. */
  #failures = 0;

  constructor(
    registers: Registry[],
    options: {
      connection: ConnectionOption | undefined;
      prefix: string;
      queues: readonly string[] | undefined;
      timeoutMs: number;
    },
  ) {
    this.#connectionOption = options.connection;
    this.#prefix = options.prefix;
    this.#queueNames = options.queues;
    this.#timeoutMs = options.timeoutMs;
    const snapshot = () => this.#snapshot();
    const failures = () => this.#failures;
    new Counter({
      name: "tq_scrape_errors_total",
      help: "Scrapes that could not read every queue's stats from Redis in time.",
      registers,
      async collect() {
        await snapshot();
        this.reset();
        this.inc(failures());
      },
    });
    new Gauge({
      name: "tq_up",
      help: "1 when the latest scrape read every queue's stats from Redis in time, else 0.",
      registers,
      async collect() {
        const { complete } = await snapshot();
        this.set(complete ? 1 : 0);
      },
    });
    this.#names.push("tq_up", "tq_scrape_errors_total");
    this.#gauge(
      registers,
      "tq_jobs",
      "Jobs in each state, per queue (read from Redis).",
      ["queue", "state"],
      (set, s) => {
        for (const [queue, stats] of s.stats) {
          for (const state of JOB_STATES) set({ queue, state }, stats.counts[state]);
        }
      },
    );
    this.#gauge(
      registers,
      "tq_oldest_pending_age_seconds",
      "Seconds the oldest pending job of the queue has been waiting to run; 0 when none is pending.",
      ["queue"],
      (set, s) => {
        for (const [queue, stats] of s.stats) set({ queue }, stats.oldestPendingAgeMs / 1_000);
      },
    );
    this.#gauge(
      registers,
      "tq_workers",
      "Workers alive (registered and heartbeating), per queue.",
      ["queue"],
      (set, s) => {
        for (const [queue, stats] of s.stats) set({ queue }, stats.workers);
      },
    );
    for (const total of TOTALS) {
      const name = `tq_jobs_${total}_total`;
      this.#names.push(name);
      new Counter({
        name,
        help: `Jobs ${total} since the queue was created, per queue (read from Redis).`,
        labelNames: ["queue"],
        registers,
        async collect() {
          const s = await snapshot();
          this.reset();
          for (const [queue, stats] of s.stats) {
            const value = stats.totals[total];
            if (Number.isFinite(value) && value >= 0) this.inc({ queue }, value);
          }
        },
      });
    }
  }

  /** The names of the metrics this registered, to remove them on close. */
  get names(): readonly string[] {
    return this.#names;
  }

  #gauge<L extends string>(
    registers: Registry[],
    name: string,
    help: string,
    labelNames: L[],
    fill: (set: (labels: Record<L, string>, value: number) => void, snapshot: Snapshot) => void,
  ): void {
    this.#names.push(name);
    const snapshot = () => this.#snapshot();
    new Gauge<L>({
      name,
      help,
      labelNames,
      registers,
      async collect() {
        const s = await snapshot();
        this.reset();
        fill((labels, value) => this.set(labels as never, value), s);
      },
    });
  }

  /** The current scrape's reads: the first series collected starts them, the others of the same scrape share them. */
  #snapshot(): Promise<Snapshot> {
    if (!this.#scrape) {
      const reading = this.#read().then((snapshot) => {
        if (!snapshot.complete) this.#failures++;
        return snapshot;
      });
      this.#scrape = reading;
      void reading.finally(() => {
        if (this.#scrape === reading) this.#scrape = undefined;
      });
    }
    return this.#scrape;
  }

  async #read(): Promise<Snapshot> {
    const stats: Snapshot["stats"] = new Map();
    if (this.#closed) return { stats, complete: false };
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new ScrapeTimeout()), this.#timeoutMs);
    });
    const inTime = <T>(promise: Promise<T>): Promise<T> => {
      promise.catch(() => {});
      return Promise.race([promise, deadline]);
    };
    deadline.catch(() => {});
    try {
      const connection = await inTime(this.#open());
      const names = this.#queueNames ?? (await inTime(this.#listQueues(connection)));
      const results = await Promise.allSettled(
        names.map((name) => inTime(this.#queue(name, connection).stats())),
      );
      let complete = true;
      results.forEach((result, i) => {
        if (result.status === "fulfilled") stats.set(names[i] as string, result.value);
        else complete = false;
      });
      return { stats, complete };
    } catch {
      return { stats, complete: false };
    } finally {
      clearTimeout(timer);
    }
  }

  #open(): Promise<RedisConnection> {
    if (!this.#connection) {
      const opening = RedisConnection.open(this.#connectionOption, { onError: () => {} });
      this.#connection = opening;
      opening.then(
        (connection) => {
          if (this.#closed) void connection.close().catch(() => {});
          else this.#opened = connection;
        },
        () => {},
      );
      opening.catch(() => {
        if (this.#connection === opening) this.#connection = undefined;
      });
    }
    return this.#connection;
  }

  async #listQueues(connection: RedisConnection): Promise<string[]> {
    const key = queuesKey(this.#prefix);
    const [, members] = await connection.send<[string, string[]]>(
      ["SSCAN", key, "0", "COUNT", String(MAX_LISTED_QUEUES)],
      key,
    );
    return members.filter(isValidQueueName).sort().slice(0, MAX_LISTED_QUEUES);
  }

  /** A Queue on the shared connection (it does not own it). */
  #queue(name: string, connection: RedisConnection): Queue {
    let queue = this.#queues.get(name);
    if (!queue) {
      queue = new Queue(name, {
        connection: connection.client,
        prefix: this.#prefix,
        // its warnings (an evicting maxmemory policy) are the operator tools' to report, not the scrape's
        logger: { info: () => {}, warn: () => {}, error: () => {} },
      });
      this.#queues.set(name, queue);
    }
    return queue;
  }

  async close(): Promise<void> {
    this.#closed = true;
    const queues = [...this.#queues.values()];
    this.#queues.clear();
    await Promise.allSettled(queues.map((q) => q.close()));
    // A connection still being opened (Redis down) is closed when it opens; close() does not wait for it.
    const opened = this.#opened;
    this.#opened = undefined;
    this.#connection = undefined;
    await opened?.close().catch(() => {});
  }
}
