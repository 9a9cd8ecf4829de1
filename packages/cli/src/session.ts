import { Queue } from "@tq/client";
import {
  CLUSTER_URL_FORM,
  isClusterUrl,
  parseClusterUrl,
  RedisConnection,
  redactUrl,
  toTqError,
} from "@tq/connection";
import { isTqError, quote } from "@tq/job-schema";
import {
  DEFAULT_PREFIX,
  isValidPrefix,
  listQueueNames,
  queueExists,
  queuesKey,
  redisTimeMs,
} from "@tq/protocol";
import { failure, usageError } from "./cli-error.js";
import type { CliIo } from "./io.js";

/** The options every command takes. */
export interface ConnectionFlags {
  redisUrl?: string;
  prefix?: string;
}

/** Where the commands go: the Redis URL and prefix, from the flags, then the environment, then the defaults. */
export interface Target {
  url: string;
  prefix: string;
}

const DEFAULT_URL = "redis://127.0.0.1:6379";

/** The Redis URL and prefix a command uses, checked before anything connects (a bad one is a usage error). */
export function resolveTarget(flags: ConnectionFlags, io: CliIo): Target {
  const url = flags.redisUrl ?? (io.env.REDIS_URL || undefined) ?? DEFAULT_URL;
  const where =
    flags.redisUrl !== undefined ? "--redis-url" : io.env.REDIS_URL ? "REDIS_URL" : "the default URL";
  if (isClusterUrl(url)) {
    try {
      parseClusterUrl(url, where);
    } catch (error) {
      throw usageError((error as Error).message);
    }
  } else {
    let protocol: string;
    try {
      protocol = new URL(url).protocol;
    } catch {
      throw usageError(
        `${where} is not a valid URL (not shown: it may hold a password); expected redis://[[user]:password@]host[:port][/db], or ${CLUSTER_URL_FORM}`,
      );
    }
    if (protocol !== "redis:" && protocol !== "rediss:") {
      throw usageError(
        `${where} must start with redis://, rediss:// or redis-cluster:// (the URL is not shown: it may hold a password)`,
      );
    }
  }
  const prefix = flags.prefix ?? (io.env.TQ_PREFIX || undefined) ?? DEFAULT_PREFIX;
  if (!isValidPrefix(prefix)) {
    throw usageError(
      `${flags.prefix !== undefined ? "--prefix" : "TQ_PREFIX"} must be 1-100 characters without braces, whitespace ` +
        `or control characters, got ${quote(prefix)}`,
    );
  }
  return { url, prefix };
}

/** How long the first connection may take, in milliseconds: a CLI should not hang on an unreachable Redis. */
const CONNECT_TIMEOUT_MS = 5_000;

/**
 * One command's connection to Redis, and the queues it opens on it. Every command opens one, then closes it
 * (which closes the queues' use of it too: they were handed the client, so they never close it themselves).
 */
export class Session {
  readonly prefix: string;
  readonly url: string;
  readonly connection: RedisConnection;
  readonly #queues = new Map<string, Queue>();

  private constructor(target: Target, connection: RedisConnection) {
    this.prefix = target.prefix;
    this.url = target.url;
    this.connection = connection;
  }

  /** Connects, or fails with one line naming the (redacted) URL. */
  static async open(target: Target): Promise<Session> {
    try {
      const connection = await RedisConnection.open(
        // no reconnect loop: a refused connection fails at once instead of retrying until the timeout
        { url: target.url, socket: { reconnectStrategy: false, connectTimeout: CONNECT_TIMEOUT_MS } },
        { onError: () => {}, connectTimeoutMs: CONNECT_TIMEOUT_MS },
      );
      return new Session(target, connection);
    } catch (error) {
      const reason = error instanceof Error && error.cause instanceof Error ? error.cause.message : "";
      throw failure(
        `cannot connect to Redis at ${redactUrl(target.url)}${reason ? `: ${reason}` : ""}; ` +
          "is redis-server running, and are --redis-url / REDIS_URL right?",
      );
    }
  }

  /** Sends one raw command (routed by `key` on a cluster). */
  send<T>(args: readonly string[], key?: string): Promise<T> {
    return this.connection.send<T>(args, key);
  }

  /** The Redis clock, in epoch ms. */
  now(): Promise<number> {
    return this.send<[unknown, unknown]>(["TIME"]).then(redisTimeMs);
  }

  /** A `Queue` on this session's connection (tq's warnings are left to `tq doctor`). */
  queue(name: string): Queue {
    let queue = this.#queues.get(name);
    if (!queue) {
      queue = new Queue(name, {
        connection: this.connection.client,
        prefix: this.prefix,
        logger: { info: () => {}, warn: () => {}, error: () => {} },
        retryConnectionMs: 0,
      });
      this.#queues.set(name, queue);
    }
    return queue;
  }

  /** The known queue names (`<prefix>:queues`), sorted, read with SSCAN in pages. */
  queueNames(): Promise<string[]> {
    return listQueueNames(this.connection, this.prefix);
  }

  /**
   * The queue named `name`, once it is known to exist: a member of `<prefix>:queues` or with keys of its own.
   * Fails (exit 1) for an unknown queue, so that a mistyped name is not taken for an empty queue, and nothing is
   * written under it.
   */
  async existingQueue(name: string): Promise<Queue> {
    if (!(await queueExists(this.connection, this.prefix, name))) {
      throw failure(
        `no queue ${quote(name)} under prefix ${quote(this.prefix)} (not in ${queuesKey(this.prefix)}, no keys); ` +
          `"tq queues" lists the known ones`,
      );
    }
    return this.queue(name);
  }

  /** Closes the queues and the connection. */
  async close(): Promise<void> {
    await Promise.allSettled([...this.#queues.values()].map((queue) => queue.close()));
    await this.connection.close().catch(() => {});
  }
}

/** A Redis or tq error as one CLI failure line (usage for a `VALIDATION` error: the input was wrong). */
export function asCliFailure(error: unknown, context: string): Error {
  const tq = isTqError(error) ? error : toTqError(error, context);
  if (tq.code === "VALIDATION") return usageError(tq.message);
  return failure(tq.message);
}
