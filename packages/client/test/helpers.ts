import { type AddressInfo, connect, createServer, type Socket } from "node:net";
import { RedisConnection } from "@tq/connection";
import { type ClaimedJob, type QueueKeys, queueKeys, redisTimeMs, take as takeScript } from "@tq/protocol";
import { type TestClient, testClient } from "@tq/testing";
import { afterAll, afterEach, inject } from "vitest";
import { isTqError, type Queue, type TqError } from "../src/index.js";

/** The TqError a promise rejects with; fails the test when it resolves or rejects with something else. */
export async function rejection(promise: Promise<unknown>): Promise<TqError> {
  try {
    await promise;
  } catch (error) {
    if (isTqError(error)) return error;
    throw error;
  }
  throw new Error("expected a TqError, the promise resolved");
}

/** A raw node-redis client (a cluster client in the cluster project), as the tests create them. */
export type { TestClient as RawClient } from "@tq/testing";

type RawClient = TestClient;

/** A node-redis client for looking at Redis directly, closed after the test. */
export async function rawClient(url: string, track: Cleanup): Promise<RawClient> {
  const client = testClient(url);
  client.on("error", () => {});
  await client.connect();
  track.add(() => client.close());
  return client;
}

/** Things to close after each test, last first. */
export class Cleanup {
  readonly #items: Array<() => Promise<unknown> | unknown> = [];

  constructor() {
    afterEach(async () => {
      while (this.#items.length > 0) await this.#items.pop()?.();
    });
  }

  add(fn: () => Promise<unknown> | unknown): void {
    this.#items.push(fn);
  }

  /** Registers `queue.close()` and returns the queue. */
  queue<Q extends { close(): Promise<void> }>(queue: Q): Q {
    this.add(() => queue.close());
    return queue;
  }
}

/** The Redis keys of a queue, as its `Queue` uses them. */
export function keysOf(queue: Queue): QueueKeys {
  return queueKeys(queue.name, queue.prefix);
}

/** Opens the queue's connection (any call does; this one only reads the paused flag). */
export async function connected(queue: Queue): Promise<void> {
  await queue.isPaused();
}

const workerConnections = new Map<string, Promise<RedisConnection>>();
afterAll(async () => {
  for (const connection of workerConnections.values()) await (await connection).close();
});

/** The connection the tests play a worker's part on, to the Redis at `url`: opened once per file. */
function workerSide(url: string): Promise<RedisConnection> {
  let connection = workerConnections.get(url);
  if (!connection) {
    connection = RedisConnection.open(url, { onError: () => {} });
    workerConnections.set(url, connection);
  }
  return connection;
}

/** A job claimed by {@link take}: what a worker gets. */
export type Claimed = ClaimedJob;

/** One finished run for {@link take}. */
export interface Ack {
  id: string;
  token: string;
  op: "c" | "f";
  /** The result JSON (op "c") or the error JSON (op "f"). */
  payload: string;
  /** Op "f": the retry delay in ms, -1 to dead-letter. */
  delayMs?: number;
}

/** The worker id the tests' hand-made claims are tagged with. */
export const TEST_WORKER_ID = "test-worker";

/**
 * Plays a worker's part with the `take` script: applies `acks`, then claims up to `count` jobs, on the Redis at
 * `url` (the test run's by default). Returns the per-ack outcome letters and the claimed jobs.
 */
export async function take(
  queue: Queue,
  count: number,
  acks: readonly Ack[] = [],
  leaseMs = 30_000,
  url: string = inject("redisUrl"),
): Promise<{ outcomes: string; claimed: Claimed[] }> {
  const { outcomes, claimed } = await takeScript(await workerSide(url), keysOf(queue), {
    workerId: TEST_WORKER_ID,
    leaseMs,
    claim: count,
    acks,
  });
  return { outcomes, claimed };
}

/**
 * Claims every job in `ids` (they must be the next pending ones) and completes or fails each, on the Redis at `url`
 * (the test run's by default).
 */
export async function claimAndFinish(
  queue: Queue,
  ids: readonly string[],
  finish: (claimed: Claimed) => Omit<Ack, "id" | "token">,
  url: string = inject("redisUrl"),
): Promise<string> {
  const { claimed } = await take(queue, ids.length, [], 30_000, url);
  if (
    claimed
      .map((c) => c.id)
      .sort()
      .join() !== [...ids].sort().join()
  ) {
    throw new Error(`claimed ${claimed.map((c) => c.id).join()} instead of ${ids.join()}`);
  }
  const { outcomes } = await take(
    queue,
    0,
    claimed.map((c) => ({ id: c.id, token: c.token, ...finish(c) })),
    30_000,
    url,
  );
  return outcomes;
}

/** A run's error as a worker records it. */
export function errorJson(message: string, attempt = 1): string {
  return JSON.stringify({ name: "Error", message, attempt });
}

/** Every key under `match` (SCAN, deduplicated). */
export async function scanKeys(client: RawClient, match: string): Promise<string[]> {
  const keys = new Set<string>();
  for await (const batch of client.scanIterator({ MATCH: match, COUNT: 1000 })) {
    for (const key of batch) keys.add(key);
  }
  return [...keys].sort();
}

/** The Redis server clock in epoch ms (TIME). */
export async function redisNow(client: RawClient): Promise<number> {
  return redisTimeMs((await client.sendCommand(["TIME"])) as [string, string]);
}

/** A TCP proxy in front of Redis that can lose the reply to the next script call (see {@link startLossyProxy}). */
export interface LossyProxy {
  /** The URL to connect through. */
  readonly url: string;
  /**
   * Lets the next EVAL/EVALSHA through to Redis, which runs it, then drops its reply and cuts the client's
   * connection: the one case where a producer cannot know whether its write was applied.
   */
  loseNextReply(): void;
  /** How many replies were lost so far. */
  readonly lost: number;
  close(): Promise<void>;
}

/** Starts a {@link LossyProxy} to the Redis at `target` on a free port of 127.0.0.1. */
export async function startLossyProxy(target: string): Promise<LossyProxy> {
  const { hostname, port } = new URL(target);
  const sockets = new Set<Socket>();
  let armed = false;
  let lost = 0;
  const server = createServer((client) => {
    const upstream = connect(Number(port), hostname);
    sockets.add(client);
    sockets.add(upstream);
    let dropping = false;
    const end = () => {
      client.destroy();
      upstream.destroy();
      sockets.delete(client);
      sockets.delete(upstream);
    };
    client.on("data", (chunk) => {
      if (armed && /EVAL/i.test(chunk.toString("latin1"))) {
        armed = false;
        dropping = true;
      }
      upstream.write(chunk);
    });
    upstream.on("data", (chunk) => {
      if (dropping) {
        // Redis has answered, so the script ran: lose that answer with the connection
        lost++;
        end();
        return;
      }
      client.write(chunk);
    });
    client.on("error", end);
    upstream.on("error", end);
    client.on("close", end);
    upstream.on("close", end);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address() as AddressInfo;
  return {
    url: `redis://127.0.0.1:${address.port}`,
    loseNextReply() {
      armed = true;
    },
    get lost() {
      return lost;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
