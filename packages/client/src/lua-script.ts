import type { RedisConnection } from "./connection.js";

/** A Lua script compiled into the package by the generate step. */
export interface LuaScript {
  readonly name: string;
  /** How many KEYS the script takes. */
  readonly keys: number;
  readonly sha1: string;
  readonly source: string;
}

function isNoScript(error: unknown): boolean {
  return error instanceof Error && error.message.startsWith("NOSCRIPT");
}

/**
 * Runs a script by its SHA1 and falls back to sending its source when Redis does not have it cached (after a
 * restart, a failover or `SCRIPT FLUSH`); EVAL also caches it again for the next call. `offlineTimeoutMs` is passed
 * on to {@link RedisConnection.send}.
 */
export async function runScript<T>(
  connection: RedisConnection,
  script: LuaScript,
  keys: readonly string[],
  args: readonly string[],
  offlineTimeoutMs?: number,
): Promise<T> {
  if (keys.length !== script.keys) {
    throw new Error(`script ${script.name} takes ${script.keys} keys, got ${keys.length}`);
  }
  const tail = [String(keys.length), ...keys, ...args];
  try {
    return await connection.send<T>(["EVALSHA", script.sha1, ...tail], keys[0], offlineTimeoutMs);
  } catch (error) {
    if (!isNoScript(error)) throw error;
    return await connection.send<T>(["EVAL", script.source, ...tail], keys[0], offlineTimeoutMs);
  }
}
