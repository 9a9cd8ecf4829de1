import { Queue, type QueueOptions } from "@tq/client";
import { RedisConnection } from "@tq/connection";
import { type QueueKeys, queueKeys, redisTimeMs } from "@tq/protocol";
import { type TestClient, testClient, uniqueQueue } from "@tq/testing";
import { afterEach } from "vitest";
import { type Handlers, type Logger, Worker, type WorkerOptions } from "../src/index.js";

/** A raw node-redis client (a cluster client in the cluster project), as the tests create them. */
export type RawClient = TestClient;

/** A logger that keeps what the worker logs instead of printing it. */
export function quietLogger(lines: string[] = []): Logger {
  // `(msg)` as it is, `(obj, msg)` as the message and the fields as JSON
  const keep = (obj: object | string, msg?: string) =>
    void lines.push(typeof obj === "string" ? obj : `${msg ?? ""} ${JSON.stringify(obj)}`);
  return { debug: keep, info: keep, warn: keep, error: keep };
}

/** A promise with its resolve function outside. */
export interface Deferred<T> {
  promise: Promise<T>;
  resolve(value: T): void;
}

export function deferred<T = void>(): Deferred<T> {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

/**
 * Per-test setup against the private Redis: queues, workers and raw clients that are closed after each test,
 * and the errors every worker emitted.
 */
export class Harness {
  readonly url: string;
  readonly #closers: Array<() => Promise<unknown>> = [];

  constructor(url: string) {
    this.url = url;
    afterEach(async () => {
      while (this.#closers.length > 0) await this.#closers.pop()?.();
    });
  }

  queue(name = uniqueQueue("w"), options: Omit<QueueOptions, "connection"> = {}): Queue {
    const queue = new Queue(name, { connection: this.url, ...options });
    this.#closers.push(() => queue.close());
    return queue;
  }

  /** A worker (not started) whose emitted errors are collected in `errors`. */
  worker(queue: string, handlers: Handlers, options: WorkerOptions = {}): Worker & { errors: Error[] } {
    const worker = new Worker(queue, handlers, {
      connection: this.url,
      logger: quietLogger(),
      ...options,
    }) as Worker & { errors: Error[] };
    worker.errors = [];
    worker.on("error", (error) => worker.errors.push(error));
    this.#closers.push(() => worker.close({ timeoutMs: 0 }));
    return worker;
  }

  /** A connection of its own to the test Redis, to play a worker's part with the scripts; closed after the test. */
  async connection(): Promise<RedisConnection> {
    const connection = await RedisConnection.open(this.url, { onError: () => {} });
    this.#closers.push(() => connection.close());
    return connection;
  }

  async raw(): Promise<RawClient> {
    const client = testClient(this.url);
    client.on("error", () => {});
    await client.connect();
    this.#closers.push(() => client.close());
    return client;
  }
}

/** The Redis server clock in epoch ms (TIME). */
export async function redisNow(client: RawClient): Promise<number> {
  return redisTimeMs((await client.sendCommand(["TIME"])) as [string, string]);
}

/** The Redis keys of a queue, as its `Queue` uses them. */
export function keysOf(queue: Queue): QueueKeys {
  return queueKeys(queue.name, queue.prefix);
}

/** Every key matching `match` (SCAN, deduplicated). */
export async function countKeys(client: RawClient, match: string): Promise<number> {
  const keys = new Set<string>();
  for await (const batch of client.scanIterator({ MATCH: match, COUNT: 1000 })) {
    for (const key of batch) keys.add(key);
  }
  return keys.size;
}

/** Blocks the event loop for `ms` (a handler hogging the CPU: no timers or I/O run meanwhile). */
export function busyWait(ms: number): void {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    // spin
  }
}
