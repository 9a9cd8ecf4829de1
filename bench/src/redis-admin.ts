import { createClient } from "redis";

/** Per-command counters from `INFO commandstats`. */
export type CommandStats = Map<string, { calls: number; usec: number }>;

/** Redis CPU and per-command counters at one moment. */
export interface RedisSnapshot {
  cpuUs: number;
  commands: CommandStats;
}

const connect = (url: string) => createClient({ url });
type Client = ReturnType<typeof connect>;

function parseInfo(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of text.split("\r\n")) {
    if (!line || line.startsWith("#")) continue;
    const at = line.indexOf(":");
    if (at > 0) out.set(line.slice(0, at), line.slice(at + 1));
  }
  return out;
}

/**
 * The runner's own connection to the private redis-server: flushing between runs, memory, CPU and command counters.
 * Refuses any server but the private one it was given, and never the shared instance on port 6379.
 */
export class RedisAdmin {
  readonly #client: Client;

  private constructor(client: Client) {
    this.#client = client;
  }

  static async open(url: string): Promise<RedisAdmin> {
    const port = new URL(url).port;
    if (port === "" || port === "6379")
      throw new Error(`refusing to administer ${url}: not a private server`);
    const client = connect(url);
    client.on("error", () => {});
    await client.connect();
    return new RedisAdmin(client);
  }

  async #info(section: string): Promise<Map<string, string>> {
    return parseInfo(String(await this.#client.sendCommand(["INFO", section])));
  }

  async flushAll(): Promise<void> {
    await this.#client.sendCommand(["FLUSHALL", "SYNC"]);
  }

  async version(): Promise<string> {
    return (await this.#info("server")).get("redis_version") ?? "unknown";
  }

  async usedMemory(): Promise<number> {
    return Number((await this.#info("memory")).get("used_memory"));
  }

  async dbSize(): Promise<number> {
    return Number(await this.#client.sendCommand(["DBSIZE"]));
  }

  async snapshot(): Promise<RedisSnapshot> {
    const cpu = await this.#info("cpu");
    const cpuUs =
      (Number(cpu.get("used_cpu_user_main_thread") ?? cpu.get("used_cpu_user")) +
        Number(cpu.get("used_cpu_sys_main_thread") ?? cpu.get("used_cpu_sys"))) *
      1e6;
    const commands: CommandStats = new Map();
    for (const [key, value] of await this.#info("commandstats")) {
      if (!key.startsWith("cmdstat_")) continue;
      const fields = Object.fromEntries(value.split(",").map((kv) => kv.split("=") as [string, string]));
      commands.set(key.slice("cmdstat_".length), { calls: Number(fields.calls), usec: Number(fields.usec) });
    }
    return { cpuUs, commands };
  }

  async close(): Promise<void> {
    await this.#client.close();
  }
}

/** What happened in Redis between two snapshots, per job. */
export interface RedisProfile {
  /** Redis main-thread CPU per job, microseconds. */
  cpuUsPerJob: number;
  /** Per command: calls and microseconds per job. */
  commands: Array<{ command: string; callsPerJob: number; usecPerJob: number }>;
}

export function profileBetween(before: RedisSnapshot, after: RedisSnapshot, jobs: number): RedisProfile {
  const commands: RedisProfile["commands"] = [];
  for (const [command, now] of after.commands) {
    const then = before.commands.get(command) ?? { calls: 0, usec: 0 };
    const calls = now.calls - then.calls;
    if (calls <= 0) continue;
    commands.push({ command, callsPerJob: calls / jobs, usecPerJob: (now.usec - then.usec) / jobs });
  }
  commands.sort((a, b) => b.usecPerJob - a.usecPerJob);
  return { cpuUsPerJob: (after.cpuUs - before.cpuUs) / jobs, commands };
}
