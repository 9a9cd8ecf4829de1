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

/** A copy without function-valued fields (a client's own reconnect strategy and the like stay with it). */
function withoutFunctions(value: unknown): unknown {
  if (typeof value !== "object" || value === null || isBinary(value)) return value;
  if (Array.isArray(value)) return value.filter((v) => typeof v !== "function").map(withoutFunctions);
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    if (typeof v !== "function" && v !== undefined) out[k] = withoutFunctions(v);
  }
  return out;
}

/** Throws `VALIDATION` naming the first field a child process could not receive. */
function assertSendable(value: unknown, path: string): void {
  if (typeof value === "function") {
    throw new TqError(
      "VALIDATION",
      `${path} is a function, which cannot be sent to WorkerPool child processes: pass a Redis URL or options without functions`,
    );
  }
  if (typeof value !== "object" || value === null || isBinary(value)) return;
  for (const [k, v] of Object.entries(value)) assertSendable(v, `${path}.${k}`);
}

/**
 * The connection each child process opens: the URL or options as given, or, for a node-redis client, the URL and
 * socket options it was created with. Throws `VALIDATION` for a cluster client or options that hold functions.
 */
export function childConnection(option: ConnectionOption | undefined): string | RedisClientOptions {
  if (option === undefined) return defaultRedisUrl();
  if (typeof option === "string") return option;
  if (isClientLike(option)) {
    if (typeof (option as { getRandomNode?: unknown }).getRandomNode === "function") {
      throw new TqError(
        "VALIDATION",
        "WorkerPool cannot pass a cluster client to its child processes; pass a Redis URL or client options instead",
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
      if (value !== undefined) picked[field] = withoutFunctions(value);
    }
    return picked as RedisClientOptions;
  }
  assertSendable(option, "connection");
  return option as RedisClientOptions;
}
