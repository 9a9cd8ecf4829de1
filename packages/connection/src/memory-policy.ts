import { TqError } from "@tq/job-schema";
import type { RedisConnection, RedisServerHandle } from "./connection.js";

/** What {@link checkMemoryPolicy} found out about a Redis server's `maxmemory-policy`. */
export interface MemoryPolicyStatus {
  /** The policy, e.g. `"noeviction"` or `"allkeys-lru"`; null when it could not be read (see `error`). */
  policy: string | null;
  /** Whether the policy lets Redis delete keys to free memory (`allkeys-*`, `volatile-*`): job keys may vanish. */
  evicting: boolean;
  /** Why the policy could not be read: `CONFIG GET` refused (an ACL, a managed Redis) or a connection error. */
  error?: Error;
}

/**
 * Whether a `maxmemory-policy` evicts keys. Every policy but `noeviction` does: `allkeys-*` may delete any key,
 * `volatile-*` any key with a TTL (tq gives some of its keys one, and other users of the same Redis may too).
 */
export function isEvictingPolicy(policy: string): boolean {
  return policy.startsWith("allkeys-") || policy.startsWith("volatile-");
}

/** The value of a `CONFIG GET <name>` reply: a flat `[name, value]` list (RESP2), a Map or an object (RESP3). */
function configValue(reply: unknown, name: string): string | null {
  if (reply instanceof Map) {
    const value = reply.get(name);
    return value === undefined ? null : String(value);
  }
  if (Array.isArray(reply)) {
    for (let i = 0; i + 1 < reply.length; i += 2) if (String(reply[i]) === name) return String(reply[i + 1]);
    return null;
  }
  if (typeof reply === "object" && reply !== null && name in reply) {
    return String((reply as Record<string, unknown>)[name]);
  }
  return null;
}

/**
 * Reads the server's `maxmemory-policy` (`CONFIG GET`). Never throws: when the command is refused or fails,
 * `policy` is null and `error` says why. Takes a connection, or one server of it (`RedisConnection.servers()`);
 * `tq doctor` and the start-up warning share it.
 */
export async function checkMemoryPolicy(
  connection: Pick<RedisServerHandle, "send">,
): Promise<MemoryPolicyStatus> {
  try {
    const policy = configValue(
      await connection.send<unknown>(["CONFIG", "GET", "maxmemory-policy"]),
      "maxmemory-policy",
    );
    return { policy, evicting: policy !== null && isEvictingPolicy(policy) };
  } catch (error) {
    return { policy: null, evicting: false, error: error as Error };
  }
}

/** The message of the warning about an evicting policy. */
export function evictingPolicyMessage(policy: string): string {
  return (
    `Redis runs with maxmemory-policy ${JSON.stringify(policy)}: when it reaches maxmemory it deletes keys, ` +
    "job records and queue lists among them, and those jobs are lost without any error. " +
    'Set maxmemory-policy to "noeviction" (CONFIG SET maxmemory-policy noeviction, and in redis.conf) ' +
    "so that Redis refuses writes instead"
  );
}

/**
 * Servers already warned about, by run id: the warning is given once per process per Redis. Kept on `globalThis`
 * because the package's entry points (and an ESM and a CJS copy) each bundle this module: `Queue` and a `Worker` in
 * one process would otherwise each warn.
 */
const WARNED = Symbol.for("tq.memory-policy.warned");
const registry = globalThis as Record<symbol, Set<string> | undefined>;
const warned: Set<string> = registry[WARNED] ?? new Set();
registry[WARNED] = warned;

/** The server's `run_id` (INFO server), or its address when INFO is refused. */
async function serverIdentity(connection: Pick<RedisServerHandle, "send">, address: string): Promise<string> {
  try {
    const info = String(await connection.send<unknown>(["INFO", "server"]));
    const runId = /^run_id:(\S+)/m.exec(info)?.[1];
    if (runId) return runId;
  } catch {
    // INFO refused too: fall back to where the client connects
  }
  return address;
}

/**
 * Warns, through `report`, when the server evicts keys under memory pressure: once per process per Redis server,
 * however many queues, workers and schedulers start. A refused `CONFIG GET` (an ACL without it, a managed Redis)
 * is ignored quietly, and the check never throws, so it cannot keep anything from starting. On a cluster every master
 * is checked, and the warning names the node.
 *
 * @param context - who is starting, e.g. `worker for queue "emails"`; it opens the warning's message.
 */
export async function warnIfEvictingPolicy(
  connection: RedisConnection,
  context: string,
  report: (warning: TqError) => void,
): Promise<void> {
  let servers: RedisServerHandle[];
  try {
    servers = await connection.servers();
  } catch {
    return;
  }
  const cluster = connection.isCluster;
  await Promise.all(
    servers.map(async (server) => {
      const status = await checkMemoryPolicy(server);
      if (!status.evicting || status.policy === null) return;
      const id = await serverIdentity(server, server.address);
      if (warned.has(id)) return;
      warned.add(id);
      const where = cluster ? ` (cluster node ${server.address})` : "";
      report(new TqError("REDIS", `${context}: ${evictingPolicyMessage(status.policy)}${where}`));
    }),
  );
}
