import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer, Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** Options for {@link startRedis}. */
export interface RedisServerOptions {
  /** Keep an append-only file, so data survives a kill and restart. @defaultValue false */
  appendonly?: boolean;
  /** `always` or `everysec`. @defaultValue "everysec" */
  appendfsync?: "always" | "everysec" | "no";
  /** Extra `--name value` arguments. */
  args?: string[];
}

/** A private redis-server on a free port with its own temp dir. */
export interface RedisServer {
  readonly url: string;
  readonly port: number;
  readonly dir: string;
  readonly pid: number | undefined;
  /** Sends a signal to the server process (SIGKILL to crash it, SIGSTOP to freeze it). */
  kill(signal?: NodeJS.Signals): void;
  /** Waits for the process to exit. */
  exited(): Promise<void>;
  /** Starts the server again on the same port and dir (after a kill). */
  restart(): Promise<void>;
  /** Stops the server and removes its dir. */
  stop(): Promise<void>;
}

/** The redis-server binary, or null when none is installed. */
export function redisServerBinary(): string | null {
  const bin = process.env.REDIS_SERVER_BIN ?? "redis-server";
  const probe = spawnSync(bin, ["--version"], { encoding: "utf8" });
  return probe.status === 0 ? bin : null;
}

/** A free TCP port on 127.0.0.1. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

function ping(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = new Socket();
    let data = "";
    socket.setTimeout(500);
    socket.once("error", () => resolve(false));
    socket.once("timeout", () => {
      socket.destroy();
      resolve(false);
    });
    socket.connect(port, "127.0.0.1", () => socket.write("PING\r\n"));
    socket.on("data", (chunk) => {
      data += chunk.toString();
      if (data.includes("\r\n")) {
        socket.destroy();
        resolve(data.startsWith("+PONG"));
      }
    });
  });
}

/** Starts a private redis-server on a free port; resolves when it answers PING. */
export async function startRedis(options: RedisServerOptions = {}): Promise<RedisServer> {
  const bin = redisServerBinary();
  if (!bin) throw new Error("redis-server is not installed (apt-get install -y redis-server)");
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), "tq-redis-"));
  const args = [
    "--port",
    String(port),
    "--bind",
    "127.0.0.1",
    "--dir",
    dir,
    "--save",
    "",
    "--appendonly",
    options.appendonly ? "yes" : "no",
    "--appendfsync",
    options.appendfsync ?? "everysec",
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
      if (proc.exitCode !== null) throw new Error(`redis-server exited with code ${proc.exitCode}`);
      if (await ping(port)) return;
      await new Promise((r) => setTimeout(r, 25));
    }
    proc.kill("SIGKILL");
    throw new Error(`redis-server on port ${port} did not answer within 10 s`);
  };
  await launch();

  return {
    url: `redis://127.0.0.1:${port}`,
    port,
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
