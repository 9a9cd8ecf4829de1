import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createClient } from "redis";
import { freePort, redisServerBinary } from "./redis-server.js";

/** Options for {@link startCluster}. */
export interface RedisClusterOptions {
  /** How many masters share the 16384 slots. @defaultValue 3 */
  masters?: number;
  /** How many replicas each master gets. @defaultValue 1 */
  replicasPerMaster?: number;
  /** `cluster-node-timeout` in milliseconds: how long a node may be silent before it is deemed failing. @defaultValue 2000 */
  nodeTimeoutMs?: number;
  /** Extra `--name value` arguments for every node. */
  args?: string[];
}

/** One redis-server of a {@link RedisCluster}. */
export interface RedisClusterNode {
  readonly port: number;
  /** `redis://127.0.0.1:<port>`: a plain connection to this one node. */
  readonly url: string;
  /** The node's role when the cluster was created (a failover may have changed it since). */
  readonly role: "master" | "replica";
  readonly dir: string;
  readonly pid: number | undefined;
  /** Sends a signal to the node's process (SIGKILL to crash it, SIGSTOP to freeze it). */
  kill(signal?: NodeJS.Signals): void;
  /** Waits for the process to exit. */
  exited(): Promise<void>;
  /** Starts the node again on the same port and dir (its nodes.conf keeps its identity in the cluster). */
  restart(): Promise<void>;
}

/** A private Redis Cluster on free ports of 127.0.0.1, each node with its own temp dir. */
export interface RedisCluster {
  /** `redis-cluster://127.0.0.1:<p1>,127.0.0.1:<p2>,…`: every node, as tq's connection takes it. */
  readonly url: string;
  readonly nodes: readonly RedisClusterNode[];
  /** Stops every node and removes every dir. */
  stop(): Promise<void>;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Whether nothing listens on `port` of 127.0.0.1 (a listen on it succeeds). */
function isFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.unref();
    server.once("error", () => resolve(false));
    server.listen(port, "127.0.0.1", () => server.close(() => resolve(true)));
  });
}

/** Runs a command to its end; rejects with its output when it exits non-zero. */
function run(bin: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(bin, args, { stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    child.stdout.on("data", (chunk) => {
      out += chunk;
    });
    child.stderr.on("data", (chunk) => {
      out += chunk;
    });
    child.once("error", reject);
    child.once("exit", (code) =>
      code === 0 ? resolve(out) : reject(new Error(`${bin} ${args.join(" ")} exited with ${code}:\n${out}`)),
    );
  });
}

/** Sends one command to one node on a short-lived connection; null when the node does not answer. */
async function ask(port: number, args: string[]): Promise<string | null> {
  const client = createClient({ socket: { host: "127.0.0.1", port, reconnectStrategy: false } });
  client.on("error", () => {});
  try {
    await client.connect();
    return String(await client.sendCommand(args));
  } catch {
    return null;
  } finally {
    if (client.isOpen) client.destroy();
  }
}

async function until(what: string, timeoutMs: number, check: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    await sleep(50);
  }
  throw new Error(`redis cluster: timed out after ${timeoutMs} ms waiting for ${what}`);
}

/** Whether every node says `cluster_state:ok` and knows every other node. */
async function clusterReady(ports: readonly number[]): Promise<boolean> {
  for (const port of ports) {
    const info = await ask(port, ["CLUSTER", "INFO"]);
    if (!info?.includes("cluster_state:ok")) return false;
    if (!info.includes(`cluster_known_nodes:${ports.length}`)) return false;
  }
  return true;
}

/** Whether every replica's link to its master is up and done with its first sync. */
async function replicasInSync(ports: readonly number[]): Promise<boolean> {
  for (const port of ports) {
    const info = await ask(port, ["INFO", "replication"]);
    if (info === null) return false;
    if (!/^role:slave/m.test(info)) continue;
    if (!/^master_link_status:up/m.test(info)) return false;
    if (/^master_sync_in_progress:1/m.test(info)) return false;
  }
  return true;
}

/**
 * Starts a Redis Cluster of `masters` masters with `replicasPerMaster` replicas each (3 + 3 by default):
 * `redis-server --cluster-enabled yes` on free ports, each with its own temp dir, then `redis-cli --cluster create`;
 * resolves when every node reports `cluster_state:ok` and every replica is in sync.
 */
export async function startCluster(options: RedisClusterOptions = {}): Promise<RedisCluster> {
  const masters = options.masters ?? 3;
  const replicasPerMaster = options.replicasPerMaster ?? 1;
  if (masters < 3) throw new Error("redis cluster: redis-cli --cluster create needs at least 3 masters");
  const bin = redisServerBinary();
  if (!bin) throw new Error("redis-server is not installed (apt-get install -y redis-server)");
  const cli = process.env.REDIS_CLI_BIN ?? "redis-cli";
  const count = masters * (1 + replicasPerMaster);

  const ports: number[] = [];
  // A free port whose cluster bus port (port + 10000) is free too. Another process can still take either before
  // the node binds it (outgoing connections use the same ephemeral range): a node that fails to start is tried
  // again on other ports.
  const pickPort = async (): Promise<number> => {
    for (;;) {
      const port = await freePort();
      if (port + 10_000 < 65_536 && !ports.includes(port) && (await isFree(port + 10_000))) return port;
    }
  };

  const nodes: Array<RedisClusterNode & { stop(): Promise<void> }> = [];
  const stopAll = async () => {
    await Promise.all(nodes.map((node) => node.stop()));
  };
  try {
    for (let index = 0; index < count; index++) {
      const role = index < masters ? "master" : "replica";
      for (let attempt = 1; ; attempt++) {
        const port = await pickPort();
        try {
          nodes.push(await startNode(bin, port, role, options));
          ports.push(port);
          break;
        } catch (error) {
          if (attempt >= 5) throw error;
        }
      }
    }
    await run(cli, [
      "--cluster",
      "create",
      ...ports.map((port) => `127.0.0.1:${port}`),
      "--cluster-replicas",
      String(replicasPerMaster),
      "--cluster-yes",
    ]);
    await until("cluster_state:ok on every node", 30_000, () => clusterReady(ports));
    await until("every replica in sync", 30_000, () => replicasInSync(ports));
  } catch (error) {
    await stopAll();
    throw error;
  }
  return {
    url: `redis-cluster://${ports.map((port) => `127.0.0.1:${port}`).join(",")}`,
    nodes,
    stop: stopAll,
  };
}

async function startNode(
  bin: string,
  port: number,
  role: "master" | "replica",
  options: RedisClusterOptions,
): Promise<RedisClusterNode & { stop(): Promise<void> }> {
  const dir = mkdtempSync(join(tmpdir(), "tq-cluster-"));
  const args = [
    "--port",
    String(port),
    "--bind",
    "127.0.0.1",
    "--dir",
    dir,
    "--cluster-enabled",
    "yes",
    // relative to --dir: a path with a directory in it fails with "Can't open … nodes.conf"
    "--cluster-config-file",
    "nodes.conf",
    "--cluster-node-timeout",
    String(options.nodeTimeoutMs ?? 2_000),
    "--save",
    "",
    "--appendonly",
    "no",
    "--daemonize",
    "no",
    "--loglevel",
    "warning",
    ...(options.args ?? []),
  ];
  let child: ChildProcess | undefined;
  let exit: Promise<void> = Promise.resolve();
  const launch = async () => {
    const proc = spawn(bin, args, { stdio: ["ignore", "ignore", "inherit"] });
    child = proc;
    exit = new Promise((resolve) => proc.once("exit", () => resolve()));
    const deadline = Date.now() + 10_000;
    while (Date.now() < deadline) {
      if (proc.exitCode !== null)
        throw new Error(`redis-server (cluster node ${port}) exited with ${proc.exitCode}`);
      if ((await ask(port, ["PING"])) === "PONG") return;
      await sleep(25);
    }
    proc.kill("SIGKILL");
    throw new Error(`redis-server (cluster node ${port}) did not answer within 10 s`);
  };
  try {
    await launch();
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    role,
    dir,
    get pid() {
      return child?.pid;
    },
    kill(signal: NodeJS.Signals = "SIGKILL") {
      child?.kill(signal);
    },
    exited: () => exit,
    restart: launch,
    async stop() {
      if (child && child.exitCode === null && child.signalCode === null) {
        child.kill("SIGCONT");
        child.kill("SIGTERM");
        const timer = setTimeout(() => child?.kill("SIGKILL"), 3_000);
        await exit;
        clearTimeout(timer);
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
