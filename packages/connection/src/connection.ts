import { checkTimerMs, TqError } from "@tq/job-schema";
import { createClient, type RedisClientOptions } from "redis";
import { redactUrl } from "./redact-url.js";

/**
 * The shape tq needs of a node-redis client (`createClient()`) or cluster (`createCluster()`) that the user
 * created. tq never closes a client it did not create.
 */
export interface RedisClientLike {
  readonly isOpen: boolean;
  readonly isReady?: boolean;
  connect(): Promise<unknown>;
  duplicate(): RedisClientLike;
  close(): Promise<void>;
  destroy(): void;
  on(event: "error", listener: (error: Error) => void): unknown;
}

/**
 * Where tq finds Redis: a URL (`redis://`, `rediss://`, with user and password), node-redis client options, or a
 * client or cluster the user already created.
 * @defaultValue `process.env.REDIS_URL ?? "redis://127.0.0.1:6379"`
 */
export type ConnectionOption = string | RedisClientOptions | RedisClientLike;

/** The default Redis URL when no `connection` is given. */
export function defaultRedisUrl(): string {
  return process.env.REDIS_URL ?? "redis://127.0.0.1:6379";
}

type Sender = (
  args: readonly string[],
  firstKey: string | undefined,
  options: SendOptions | undefined,
) => Promise<unknown>;

interface SendOptions {
  timeout: number;
}

/**
 * node-redis arms a 5 s timer for every command; it fires only if the command was not written by then. On a ready
 * connection tq skips that timer (it costs more than the rest of sending a command) and guards the one case it
 * covered itself: a command issued just as the connection dropped stays queued for the reconnect, so when the
 * connection drops, commands still unanswered {@link LOST_REPLY_MS} later fail with `CONNECTION` (one timer per
 * drop, not per command). While the connection is down, commands keep node-redis's 5 s timer.
 * Clients the user passed in keep their own settings.
 */
const READY: SendOptions = { timeout: 0 };
const OFFLINE: SendOptions = { timeout: 5_000 };

/** How long after a connection drops a command still waiting for its reply fails, in milliseconds. */
const LOST_REPLY_MS = 5_000;

interface PendingCommand {
  reject(error: unknown): void;
}

function isClientLike(value: unknown): value is RedisClientLike {
  return (
    typeof value === "object" &&
    value !== null &&
    typeof (value as RedisClientLike).duplicate === "function" &&
    typeof (value as { sendCommand?: unknown }).sendCommand === "function"
  );
}

function isCluster(client: RedisClientLike): boolean {
  return typeof (client as { getRandomNode?: unknown }).getRandomNode === "function";
}

function describe(option: ConnectionOption | undefined): string {
  if (option === undefined) return redactUrl(defaultRedisUrl());
  if (typeof option === "string") return redactUrl(option);
  if (isClientLike(option)) return "the given client";
  return typeof option.url === "string" ? redactUrl(option.url) : "the given options";
}

/**
 * Checks that a Redis URL parses before node-redis sees it: node-redis would throw a bare `TypeError` whose `input`
 * holds the whole URL, password included. Throws `VALIDATION` without the URL and without that error as `cause`.
 */
function checkUrl(url: string | undefined, where: string): void {
  if (url === undefined) return;
  let protocol: string;
  try {
    protocol = new URL(url).protocol;
  } catch {
    throw new TqError(
      "VALIDATION",
      `${where} is not a valid URL (not shown: it may hold a password); ` +
        "expected redis://[[user]:password@]host[:port][/db] or rediss://… (percent-encode @ : / in the password)",
    );
  }
  if (protocol !== "redis:" && protocol !== "rediss:") {
    throw new TqError(
      "VALIDATION",
      `${where} must start with redis:// or rediss:// (the URL given is not shown: it may hold a password)`,
    );
  }
}

function isReplyError(error: unknown): error is Error {
  return (
    error instanceof Error &&
    (error.constructor.name === "ErrorReply" || error.constructor.name === "SimpleError")
  );
}

/**
 * Wraps a driver error in a {@link TqError}: `NOPERM` for a command the connection's ACL user may not run, `REDIS`
 * for another refused command, `CONNECTION` for everything else. `context` names what was being done and to what
 * (the queue, the job id), already quoted.
 */
export function toTqError(error: unknown, context: string): TqError {
  if (error instanceof TqError) return error;
  const message =
    error instanceof Error ? error.message || error.constructor.name || "connection error" : String(error);
  if (isReplyError(error)) {
    if (message.startsWith("NOPERM")) {
      return new TqError(
        "NOPERM",
        `${context}: Redis refused the command under its ACL: ${message}; grant the connection's user this ` +
          "command and the queue's keys (see docs/security.md)",
        { cause: error },
      );
    }
    const hint = message.startsWith("OOM") ? " (Redis is at maxmemory: free memory or raise maxmemory)" : "";
    return new TqError("REDIS", `${context}: Redis refused the command: ${message}${hint}`, { cause: error });
  }
  return new TqError("CONNECTION", `${context}: ${message}`, { cause: error });
}

/**
 * Whether sending the same command again may succeed: the connection dropped or timed out (the command may or may not
 * have run), or Redis is still loading its data after a restart (`LOADING`). Anything Redis itself refused is final.
 */
export function isTransient(error: unknown): boolean {
  if (error instanceof TqError) return error.code === "CONNECTION";
  if (isReplyError(error)) return error.message.startsWith("LOADING");
  return error instanceof Error;
}

/** Options for {@link RedisConnection.open}. */
export interface OpenOptions {
  /** Called with errors of the connections tq owns (reconnect attempts, socket errors). */
  onError?: (error: Error) => void;
  /** The longest wait for the first connection, in milliseconds (at most 2³¹−1). @defaultValue 10_000 */
  connectTimeoutMs?: number;
}

/**
 * One Redis connection as tq uses it: raw commands routed by their first key (so a cluster works too), and
 * duplicates for blocking reads. Closes only what it created.
 */
export class RedisConnection {
  readonly #client: RedisClientLike;
  readonly #send: Sender;
  readonly #owned: boolean;
  readonly #options: OpenOptions;
  readonly #pending = new Set<PendingCommand>();

  private constructor(client: RedisClientLike, owned: boolean, options: OpenOptions) {
    this.#client = client;
    this.#owned = owned;
    if (owned) client.on("error", () => this.#connectionLost());
    this.#options = options;
    const raw = client as unknown as {
      sendCommand(...args: unknown[]): Promise<unknown>;
    };
    this.#send = isCluster(client)
      ? (args, firstKey, options) => raw.sendCommand(firstKey, false, args, options)
      : (args, _firstKey, options) => raw.sendCommand(args, options);
  }

  /** Opens (or adopts) a connection and waits until it is ready. Throws `CONNECTION` when Redis cannot be reached. */
  static async open(
    option: ConnectionOption | undefined,
    options: OpenOptions = {},
  ): Promise<RedisConnection> {
    if (isClientLike(option)) {
      const connection = new RedisConnection(option, false, options);
      if (!option.isOpen) {
        throw new TqError(
          "CONNECTION",
          "the node-redis client passed as `connection` is not connected: call `await client.connect()` first",
        );
      }
      return connection;
    }
    const clientOptions: RedisClientOptions =
      option === undefined
        ? { url: defaultRedisUrl() }
        : typeof option === "string"
          ? { url: option }
          : option;
    checkUrl(
      clientOptions.url,
      option === undefined ? "REDIS_URL" : typeof option === "string" ? "connection" : "connection.url",
    );
    let client: RedisClientLike;
    try {
      client = createClient(clientOptions) as unknown as RedisClientLike;
    } catch (error) {
      // node-redis's own URL errors carry the URL: keep only the message
      throw new TqError(
        "VALIDATION",
        `invalid connection options for ${describe(option)}: ${(error as Error)?.message ?? String(error)}`,
      );
    }
    return RedisConnection.#connectOwned(client, options, describe(option));
  }

  static async #connectOwned(
    client: RedisClientLike,
    options: OpenOptions,
    where: string,
  ): Promise<RedisConnection> {
    let lastError: Error | undefined;
    client.on("error", (error) => {
      lastError = error;
      options.onError?.(error);
    });
    const timeoutMs = checkTimerMs(options.connectTimeoutMs ?? 10_000, "connectTimeoutMs", {
      min: 1,
    }) as number;
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        client.connect(),
        new Promise((_, reject) => {
          timer = setTimeout(() => reject(lastError ?? new Error(`no answer in ${timeoutMs} ms`)), timeoutMs);
        }),
      ]);
    } catch (error) {
      client.destroy();
      throw new TqError(
        "CONNECTION",
        `cannot connect to Redis at ${where}: ${(error as Error).message}; is redis-server running and REDIS_URL right?`,
        { cause: error },
      );
    } finally {
      clearTimeout(timer);
    }
    return new RedisConnection(client, true, options);
  }

  /** Whether tq created this connection (and so closes it). */
  get owned(): boolean {
    return this.#owned;
  }

  /** The underlying node-redis client. */
  get client(): RedisClientLike {
    return this.#client;
  }

  /**
   * Sends one raw command; `firstKey` routes it on a cluster. `offlineTimeoutMs` shortens how long a command sent
   * while the connection is down waits for it to come back (at most the default 5 s), for callers with a deadline.
   */
  send<T>(args: readonly string[], firstKey?: string, offlineTimeoutMs?: number): Promise<T> {
    if (!this.#owned) return this.#send(args, firstKey, undefined) as Promise<T>;
    if (this.#client.isReady === false) {
      const options =
        offlineTimeoutMs !== undefined && offlineTimeoutMs < OFFLINE.timeout
          ? { timeout: Math.max(1, offlineTimeoutMs) }
          : OFFLINE;
      return this.#send(args, firstKey, options) as Promise<T>;
    }
    const reply = this.#send(args, firstKey, READY) as Promise<T>;
    return new Promise<T>((resolve, reject) => {
      const entry: PendingCommand = { reject };
      this.#pending.add(entry);
      reply.then(
        (value) => {
          this.#pending.delete(entry);
          resolve(value);
        },
        (error: unknown) => {
          this.#pending.delete(entry);
          reject(error);
        },
      );
    });
  }

  /** The connection dropped: commands that get no reply within {@link LOST_REPLY_MS} fail (their outcome is unknown). */
  #connectionLost(): void {
    if (this.#pending.size === 0) return;
    const waiting = [...this.#pending];
    setTimeout(() => {
      for (const entry of waiting) {
        if (!this.#pending.delete(entry)) continue;
        entry.reject(
          new TqError(
            "CONNECTION",
            `no reply within ${LOST_REPLY_MS} ms after the connection to Redis dropped; the command may still run when it is back`,
          ),
        );
      }
    }, LOST_REPLY_MS).unref();
  }

  /** A new connection of its own to the same Redis (for blocking commands), always owned by tq. */
  async duplicate(): Promise<RedisConnection> {
    return RedisConnection.#connectOwned(
      this.#client.duplicate(),
      this.#options,
      "the same server (duplicate)",
    );
  }

  /**
   * Closes the connection if tq created it, waiting for replies in flight (at most {@link LOST_REPLY_MS}). A
   * connection that is down is dropped at once: node-redis would wait for replies that cannot come, for ever.
   */
  async close(): Promise<void> {
    if (!this.#owned) return;
    if (this.#client.isReady === false) {
      this.#client.destroy();
      return;
    }
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        this.#client.close(),
        new Promise((_, reject) => {
          timer = setTimeout(() => reject(new Error("no reply")), LOST_REPLY_MS);
        }),
      ]);
    } catch {
      this.#client.destroy();
    } finally {
      clearTimeout(timer);
    }
  }

  /** Drops the connection at once (if tq created it): commands in flight are rejected. */
  destroy(): void {
    if (this.#owned) this.#client.destroy();
  }
}
