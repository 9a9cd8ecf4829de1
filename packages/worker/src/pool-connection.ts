import type { ConnectionOption } from "@tq/client";
import { defaultRedisUrl } from "@tq/client";
import { TqError } from "@tq/job-schema";
import type { RedisClientOptions } from "redis";

// Child processes cannot share a client object: each opens its own connections from a URL or plain options.

/** The client options that describe where and how to connect; everything else (command modules, hooks) stays. */
const CLIENT_FIELDS = [
  "url",
  "username",
  "password",
  "name",
  "database",
  "RESP",
  "socket",
  "pingInterval",
  "disableOfflineQueue",
  "readonly",
  "commandsQueueMaxLength",
  "disableClientInfo",
  "clientInfoTag",
] as const;

function isClientLike(value: unknown): value is { options?: unknown } {
  return (
    typeof value === "object" &&
    value !== null &&
    typeof (value as { duplicate?: unknown }).duplicate === "function" &&
    typeof (value as { sendCommand?: unknown }).sendCommand === "function"
  );
}

function isBinary(value: unknown): boolean {
  return ArrayBuffer.isView(value) || value instanceof ArrayBuffer;
}

function isPlainObject(value: object): boolean {
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

const WHAT_TO_DO =
  "pass a Redis URL or client options made of plain values (strings, numbers, booleans, Buffers, arrays and plain objects of those; for TLS, `ca`/`cert`/`key` as strings or Buffers), or set such options in the children's environment (the `env` option, e.g. NODE_EXTRA_CA_CERTS), or run a Worker in your own process";

function refuse(path: string, what: string): never {
  throw new TqError(
    "VALIDATION",
    `${path} is ${what}, which WorkerPool cannot pass to its child processes (each child receives its connection as data over IPC, where it would be lost or broken): ${WHAT_TO_DO}`,
  );
}

/**
 * Throws `VALIDATION` naming the first field a child process could not receive intact: a function (a reconnect
 * strategy, `checkServerIdentity`), a symbol, or an object that is more than data (a TLS `secureContext`, a socket,
 * an agent), which structured clone would turn into a plain copy without its methods and state.
 */
function assertSendable(value: unknown, path: string, seen = new Set<object>()): void {
  if (typeof value === "function") refuse(path, "a function");
  if (typeof value === "symbol") refuse(path, "a symbol");
  if (typeof value !== "object" || value === null || isBinary(value)) return;
  if (seen.has(value)) refuse(path, "a circular reference");
  seen.add(value);
  if (Array.isArray(value)) {
    for (const [i, item] of value.entries()) assertSendable(item, `${path}[${i}]`, seen);
  } else {
    if (!isPlainObject(value)) {
      const name = (value as { constructor?: { name?: unknown } }).constructor?.name;
      refuse(path, `${typeof name === "string" && name ? `a ${name}` : "an"} object, not plain data`);
    }
    for (const [k, v] of Object.entries(value)) assertSendable(v, `${path}.${k}`, seen);
  }
  seen.delete(value);
}

/**
 * The connection each child process opens: the URL or options as given (a `redis-cluster://` URL and
 * `{ cluster: … }` options too), or, for a node-redis client, the URL and socket options it was created with. Throws
 * `VALIDATION` for a cluster client (pass its URL or options instead), and for options (given, or a client's)
 * that hold a function or an object that is not plain data, naming the option: such values cannot cross to a child,
 * and dropping them silently would connect the children differently (no custom TLS check, another reconnect policy).
 */
export function childConnection(option: ConnectionOption | undefined): string | RedisClientOptions {
  if (option === undefined) return defaultRedisUrl();
  if (typeof option === "string") return option;
  if (isClientLike(option)) {
    if (typeof (option as { getRandomNode?: unknown }).getRandomNode === "function") {
      throw new TqError(
        "VALIDATION",
        "WorkerPool cannot pass a cluster client to its child processes (a client object cannot cross a process boundary); " +
          'pass the cluster as a URL ("redis-cluster://host:port,host:port") or as { cluster: { rootNodes: [...] } } instead',
      );
    }
    const options = option.options;
    if (typeof options !== "object" || options === null) {
      throw new TqError(
        "VALIDATION",
        "WorkerPool cannot read the options of the client passed as `connection`; pass a Redis URL or client options instead",
      );
    }
    const picked: Record<string, unknown> = {};
    for (const field of CLIENT_FIELDS) {
      const value = (options as Record<string, unknown>)[field];
      if (value === undefined) continue;
      assertSendable(value, `connection (a node-redis client) option ${field}`);
      picked[field] = value;
    }
    return picked as RedisClientOptions;
  }
  assertSendable(option, "connection");
  return option as RedisClientOptions;
}
