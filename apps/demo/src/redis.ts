import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer, Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { isClusterUrl, parseClusterUrl } from "@tq/connection";

/**
 * Whether something at `url` answers like Redis (any RESP reply to PING, even an auth error); for a
 * `redis-cluster://` URL, whether any of its nodes does.
 */
export async function redisAnswers(url: string, timeoutMs = 1_000): Promise<boolean> {
  if (isClusterUrl(url)) {
    let nodes: Array<{ host: string; port: number }>;
    try {
      nodes = parseClusterUrl(url).nodes;
    } catch {
      return false;
    }
    const answers = await Promise.all(
      nodes.map((node) => redisAnswers(`redis://${node.host}:${node.port}`, timeoutMs)),
    );
    return answers.some(Boolean);
  }
  return new Promise((resolve) => {
    let target: URL;
    try {
      target = new URL(url);
    } catch {
      resolve(false);
      return;
    }
    const socket = new Socket();
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once("error", () => done(false));
    socket.once("data", (chunk) => done(/^[+\-$*%_:]/.test(chunk.toString())));
    socket.connect(Number(target.port || 6379), target.hostname || "127.0.0.1", () =>
      socket.write("PING\r\n"),
    );
  });
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => resolve(typeof address === "object" && address ? address.port : 0));
    });
  });
}

/** A redis-server the demo started for itself. */
export interface PrivateRedis {
  url: string;
  stop(): Promise<void>;
}

/** Starts a private redis-server on a free port, or returns null when the binary is not installed. */
export async function startPrivateRedis(): Promise<PrivateRedis | null> {
  if (spawnSync("redis-server", ["--version"], { stdio: "ignore" }).status !== 0) return null;
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), "tq-demo-redis-"));
  const child = spawn(
    "redis-server",
    ["--port", String(port), "--bind", "127.0.0.1", "--dir", dir, "--save", "", "--appendonly", "no"],
    { stdio: "ignore" },
  );
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const url = `redis://127.0.0.1:${port}`;
  for (let i = 0; i < 200 && !(await redisAnswers(url, 200)); i++) {
    await new Promise((r) => setTimeout(r, 25));
  }
  return {
    url,
    async stop() {
      child.kill("SIGTERM");
      await exited;
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
