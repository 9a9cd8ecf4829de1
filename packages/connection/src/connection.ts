import { checkTimerMs, TqError } from "@tq/job-schema";
import { createClient, createCluster, type RedisClientOptions, type RedisClusterOptions } from "redis";
import { CLUSTER_URL_FORM, clusterOptionsFromUrl, isClusterUrl } from "./cluster-url.js";
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

/** A Redis Cluster as `connection`: node-redis `createCluster` options (`rootNodes`, `defaults`, …). */
export interface ClusterConnectionOptions {
  cluster: RedisClusterOptions;
}

/**
 * Where tq finds Redis: a URL (`redis://`, `rediss://`, with user and password, or the cluster form
 * `redis-cluster://[user[:password]@]host:port[,host:port…]`), node-redis client options, `{ cluster: … }` with
 * node-redis cluster options, or a client or cluster the user already created.
 * @defaultValue `process.env.REDIS_URL ?? "redis://127.0.0.1:6379"`
 */
export type ConnectionOption = string | RedisClientOptions | ClusterConnectionOptions | RedisClientLike;

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

/** Whether a client is a node-redis cluster (`createCluster()`). */
export function isCluster(client: unknown): boolean {
  return (
    typeof client === "object" &&
    client !== null &&
    typeof (client as { getRandomNode?: unknown }).getRandomNode === "function"
  );
}

/** Whether `option` is `{ cluster: … }`. */
export function isClusterOptions(option: unknown): option is ClusterConnectionOptions {
  return (
    typeof option === "object" &&
    option !== null &&
    !isClientLike(option) &&
    "cluster" in option &&
    (option as { cluster?: unknown }).cluster !== undefined
  );
}

/** The part of a node-redis cluster tq uses beyond {@link RedisClientLike}. */
interface ClusterLike {
  sendCommand(
    firstKey: string | undefined,
    isReadonly: boolean,
    args: readonly string[],
    options?: SendOptions,
  ): Promise<unknown>;
  getNodeClientForKey?(key: string): Promise<NodeClient>;
  readonly masters: ReadonlyArray<{ address: string }>;
  nodeClient(node: { address: string }): NodeClient | Promise<NodeClient>;
}

interface NodeClient {
  sendCommand(args: readonly string[], options?: SendOptions): Promise<unknown>;
}

/**
 * Commands about the server rather than a key (node-redis sends these to a random node of a cluster, whatever key
 * is given): with a routing key they go to the master of that key's slot. `CLIENT ID` and `CLIENT UNBLOCK` must
 * reach the node that holds a blocked connection; `TIME` should come from the node whose clock the queue's scripts
 * read.
 */
const SERVER_COMMANDS = new Set([
  "CLIENT",
  "CONFIG",
  "DBSIZE",
  "DEBUG",
  "INFO",
  "LASTSAVE",
  "MEMORY",
  "PING",
  "ROLE",
  "SCRIPT",
  "TIME",
]);

/** The root nodes of cluster options, for messages: `host:port` each (never credentials). */
function rootNodesText(options: RedisClusterOptions): string {
  const nodes = (options.rootNodes ?? []).map((node) => {
    if (typeof node?.url === "string") return redactUrl(node.url);
    const socket = node?.socket as { host?: string; port?: number } | undefined;
    return `${socket?.host ?? "localhost"}:${socket?.port ?? 6379}`;
  });
  return nodes.length > 0
    ? `the Redis Cluster nodes ${nodes.join(", ")}`
    : "a Redis Cluster with no root nodes";
}

function describe(option: ConnectionOption | undefined): string {
  if (option === undefined) return redactUrl(defaultRedisUrl());
  if (typeof option === "string") return redactUrl(option);
  if (isClientLike(option)) return "the given client";
  if (isClusterOptions(option)) return rootNodesText(option.cluster);
  return typeof option.url === "string" ? redactUrl(option.url) : "the given options";
}

/** Checks `{ cluster: … }` before node-redis sees it: root nodes to start from, each URL well formed. */
function checkClusterOptions(options: RedisClusterOptions, where: string): void {
  if (typeof options !== "object" || options === null) {
    throw new TqError(
      "VALIDATION",
      `${where} must be node-redis cluster options ({ rootNodes: [{ url }] , … })`,
    );
  }
  const nodes = options.rootNodes;
  if (!Array.isArray(nodes) || nodes.length === 0) {
    throw new TqError(
      "VALIDATION",
      `${where}.rootNodes must list at least one node, e.g. [{ url: "redis://127.0.0.1:7000" }]`,
    );
  }
  for (const [i, node] of nodes.entries()) {
    if (typeof node !== "object" || node === null) {
      throw new TqError(
        "VALIDATION",
        `${where}.rootNodes[${i}] must be node options ({ url } or { socket })`,
      );
    }
    checkUrl(node.url, `${where}.rootNodes[${i}].url`);
  }
}

/**
 * Checks that a Redis URL parses before node-redis sees it: node-redis would throw a bare `TypeError` whose `input`
 * holds the whole URL, password included. Throws `VALIDATION` without the URL and without that error as `cause`.
 */
function checkUrl(url: string | undefined, where: string): void {
  if (url === undefined) return;
  if (isClusterUrl(url)) {
    throw new TqError(
      "VALIDATION",
      `${where} is a Redis Cluster URL, which names a whole cluster, not one node: give each node as redis://host:port (the URL is not shown: it may hold a password)`,
    );
  }
  let protocol: string;
  try {
    protocol = new URL(url).protocol;
  } catch {
    throw new TqError(
      "VALIDATION",
      `${where} is not a valid URL (not shown: it may hold a password); ` +
        `expected redis://[[user]:password@]host[:port][/db] or rediss://… (percent-encode @ : / in the password), or ${CLUSTER_URL_FORM}`,
    );
  }
  if (protocol !== "redis:" && protocol !== "rediss:") {
    throw new TqError(
      "VALIDATION",
      `${where} must start with redis://, rediss:// or redis-cluster:// (the URL given is not shown: it may hold a password)`,
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

/** One server of a connection: see {@link RedisConnection.servers}. */
export interface RedisServerHandle {
  /** `host:port`. */
  readonly address: string;
  send<T>(args: readonly string[]): Promise<T>;
}

/** Where a (non-cluster) client connects, as `host:port`, without credentials. */
function clientAddress(client: RedisClientLike): string {
  const options = (
    client as { options?: { url?: string; socket?: { host?: string; port?: number; path?: string } } }
  ).options;
  if (options?.socket?.path) return options.socket.path;
  if (options?.socket?.host || options?.socket?.port) {
    return `${options.socket.host ?? "localhost"}:${options.socket.port ?? 6379}`;
  }
  if (options?.url) {
    try {
      const url = new URL(options.url);
      return `${url.hostname}:${url.port || "6379"}`;
    } catch {
      // shown as unknown below
    }
  }
  return "the server";
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
      ? RedisConnection.#clusterSender(client as unknown as ClusterLike)
      : (args, _firstKey, options) => raw.sendCommand(args, options);
  }

  /**
   * Sends by key on a cluster: keyed commands and scripts through node-redis (which follows MOVED and ASK), and
   * server commands given a key ({@link SERVER_COMMANDS}) on the connection to the master of that key's slot.
   */
  static #clusterSender(cluster: ClusterLike): Sender {
    return (args, firstKey, options) => {
      const name = args[0]?.toUpperCase() ?? "";
      if (firstKey !== undefined && SERVER_COMMANDS.has(name) && cluster.getNodeClientForKey) {
        return cluster.getNodeClientForKey(firstKey).then((node) => node.sendCommand(args, options));
      }
      return cluster.sendCommand(firstKey, false, args, options);
    };
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
    const where =
      option === undefined ? "REDIS_URL" : typeof option === "string" ? "connection" : "connection.url";
    const url = option === undefined ? defaultRedisUrl() : typeof option === "string" ? option : undefined;
    let clusterOptions: RedisClusterOptions | undefined;
    let clientOptions: RedisClientOptions | undefined;
    if (url !== undefined && isClusterUrl(url)) {
      clusterOptions = clusterOptionsFromUrl(url, where);
    } else if (!isClusterOptions(option) && isClusterUrl((option as RedisClientOptions | undefined)?.url)) {
      // client options with a cluster URL: the other options apply to every node of the cluster
      const { url: clusterUrl, ...nodeOptions } = option as RedisClientOptions & { url: string };
      const fromUrl = clusterOptionsFromUrl(clusterUrl, where);
      const defaults = { ...nodeOptions, ...fromUrl.defaults } as Record<string, unknown>;
      if (nodeOptions.socket && fromUrl.defaults?.socket) {
        defaults.socket = { ...nodeOptions.socket, ...fromUrl.defaults.socket };
      }
      clusterOptions = { ...fromUrl, defaults } as RedisClusterOptions;
    } else if (isClusterOptions(option)) {
      checkClusterOptions(option.cluster, "connection.cluster");
      clusterOptions = option.cluster;
    } else {
      clientOptions = url !== undefined ? { url } : (option as RedisClientOptions);
      checkUrl(clientOptions.url, where);
    }
    let client: RedisClientLike;
    try {
      client = (clusterOptions
        ? createCluster(clusterOptions)
        : createClient(clientOptions)) as unknown as RedisClientLike;
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
        `cannot connect to ${where.startsWith("the Redis Cluster") ? where : `Redis at ${where}`}: ${(error as Error).message}; is redis-server running and REDIS_URL right?`,
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

  /** Whether this is a Redis Cluster connection. */
  get isCluster(): boolean {
    return isCluster(this.#client);
  }

  /**
   * The servers that hold data, for commands about a server (INFO, CONFIG GET): every master of a cluster, or the
   * one server. Each has an `address` (`host:port`, for messages) and sends commands to that server only.
   */
  async servers(): Promise<RedisServerHandle[]> {
    if (!isCluster(this.#client)) {
      return [{ address: clientAddress(this.#client), send: (args) => this.send(args) }];
    }
    const cluster = this.#client as unknown as ClusterLike;
    return cluster.masters.map((master) => ({
      address: master.address,
      send: async <T>(args: readonly string[]) =>
        (await (await cluster.nodeClient(master)).sendCommand(args)) as T,
    }));
  }

  /**
   * A new connection of its own to the same Redis (for blocking commands), always owned by tq. For a cluster, a new
   * cluster client: a blocking command on it holds only its connection to the node of the command's key.
   */
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
