import { type ChildProcess, spawn } from "node:child_process";
import { Queue } from "@tq/client";
import { freePort, isAlive, uniquePrefix, uniqueQueue, waitFor } from "@tq/testing";
import { afterEach, describe, expect, inject, test } from "vitest";
import { binPath, fixture } from "./pool-helpers.js";

const connection = inject("redisUrl");
const cleanup: Array<() => Promise<unknown> | unknown> = [];
afterEach(async () => {
  while (cleanup.length) await cleanup.pop()?.();
});

interface Bin {
  proc: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

function runBin(args: string[], env: NodeJS.ProcessEnv = {}): Bin {
  const proc = spawn(process.execPath, [binPath, ...args], {
    env: { ...process.env, REDIS_URL: connection, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  let err = "";
  proc.stdout?.on("data", (chunk: Buffer) => {
    out += chunk.toString();
  });
  proc.stderr?.on("data", (chunk: Buffer) => {
    err += chunk.toString();
  });
  // "exit", not "close": orphaned children may still hold the pipes.
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    proc.once("exit", (code, signal) => resolve({ code, signal })),
  );
  cleanup.push(() => {
    if (proc.exitCode === null && proc.signalCode === null) proc.kill("SIGKILL");
  });
  return { proc, stdout: () => out, stderr: () => err, exited };
}

/** Starts the bin on a fresh queue and waits until it says it is consuming; returns the child pids it printed. */
async function startPool(extra: string[] = []) {
  const queue = uniqueQueue("bin");
  const prefix = uniquePrefix();
  const producer = new Queue(queue, { connection, prefix });
  cleanup.push(() => producer.close());
  const bin = runBin([
    "--queue",
    queue,
    "--prefix",
    prefix,
    "--processes",
    "2",
    "--concurrency",
    "1",
    "--shutdown-timeout-ms",
    "20000",
    ...extra,
    fixture("pool-tasks.mjs"),
  ]);
  const line = await waitFor(() => /consuming queue .* \(pids ([\d, ]+)\)/.exec(bin.stdout()), {
    timeoutMs: 30_000,
    what: `the bin to start (stderr: ${bin.stderr()})`,
  });
  const pids = (line[1] ?? "").split(", ").map(Number);
  cleanup.push(async () => {
    for (const pid of pids) if (isAlive(pid)) process.kill(pid, "SIGKILL");
  });
  return { bin, producer, pids };
}

async function waitActive(producer: Queue, id: string) {
  await waitFor(async () => (await producer.getJob(id))?.status === "active", {
    timeoutMs: 30_000,
    what: `job ${id} running`,
  });
}

describe("tq-worker", () => {
  test("--help explains every flag and exits 0", async () => {
    const bin = runBin(["--help"]);
    expect((await bin.exited).code).toBe(0);
    for (const flag of [
      "--queue",
      "--processes",
      "--concurrency",
      "--redis-url",
      "--prefix",
      "--lease-ms",
      "--shutdown-timeout-ms",
      "--hard-timeout-grace-ms",
      "--health-port",
      "--health-host",
      "--help",
      "REDIS_URL",
    ]) {
      expect(bin.stdout()).toContain(flag);
    }
  });

  test("--health-port serves /healthz: 200 while both processes consume, 503 naming one that is stopped", async () => {
    const port = await freePort();
    const { pids } = await startPool(["--health-port", String(port)]);
    const url = `http://127.0.0.1:${port}/healthz`;
    const ok = await fetch(url);
    expect(ok.status).toBe(200);
    expect(await ok.json()).toEqual({ ok: true, children: 2 });
    const stopped = pids[1] as number;
    process.kill(stopped, "SIGSTOP");
    cleanup.push(() => {
      if (isAlive(stopped)) process.kill(stopped, "SIGCONT");
    });
    const failing = await waitFor(async () => {
      const res = await fetch(url);
      return res.status === 503 ? ((await res.json()) as { children: Array<{ pid: number }> }) : null;
    });
    expect(failing.children.map((child) => child.pid)).toEqual([stopped]);
  });

  test.each([
    [["./tasks.js"], /--queue is required/],
    [["--queue", "q"], /handlers module is required/],
    [["--queue", "q", "--processes", "zero", "x.js"], /--processes must be an integer/],
    [["--queue", "q", "--bogus", "x.js"], /Unknown option '--bogus'/],
    [["--queue", "q", "./no/such/tasks.js"], /handlers module not found: ".*no\/such\/tasks\.js"/],
    [
      ["--queue", "q", "--prefix", "a{b}", "x.js"],
      /^tq-worker: --prefix must be 1-100 characters without braces/,
    ],
    [
      ["--queue", "q", "--shutdown-timeout-ms", "9999999999", "x.js"],
      /^tq-worker: --shutdown-timeout-ms must be at most 2147483647 ms/,
    ],
    [
      ["--queue", "q", "--lease-ms", "2147483648", "x.js"],
      /^tq-worker: --lease-ms must be at most 2147483647 ms/,
    ],
  ])("bad usage %j exits 2", async (args, message) => {
    const bin = runBin(args);
    expect((await bin.exited).code).toBe(2);
    expect(bin.stderr()).toMatch(message);
  });

  test("never prints the password of the Redis URL, even one with an @ in it", async () => {
    const port = await freePort();
    const args = ["--queue", "q", "--processes", "1", fixture("pool-tasks.mjs")];
    const bins = [
      runBin(args, { REDIS_URL: `redis://alice:p@SECRET@127.0.0.1:${port}` }),
      runBin(["--redis-url", `redis://alice:p%40SECRET@127.0.0.1:${port}`, ...args], { REDIS_URL: "" }),
    ];
    for (const bin of bins) {
      expect((await bin.exited).code).toBe(1);
      expect(bin.stderr()).toMatch(/cannot connect to Redis at redis:\/\/\*\*\*@127\.0\.0\.1:/);
      expect(bin.stderr() + bin.stdout()).not.toMatch(/SECRET/);
    }
  });

  test("exits 1 when Redis cannot be reached", async () => {
    const port = await freePort();
    const bin = runBin(["--queue", "q", "--processes", "1", fixture("pool-tasks.mjs")], {
      REDIS_URL: `redis://127.0.0.1:${port}`,
    });
    expect((await bin.exited).code).toBe(1);
    expect(bin.stderr()).toMatch(/cannot connect to Redis/);
  });

  test("SIGTERM drains: the in-flight job completes, the children exit, exit code 0", async () => {
    const { bin, producer, pids } = await startPool();
    const job = await producer.enqueue("sleep", [1_500]);
    await waitActive(producer, job.id);
    bin.proc.kill("SIGTERM");
    expect(await bin.exited).toEqual({ code: 0, signal: null });
    const info = await producer.getJob(job.id);
    expect(info?.status).toBe("completed");
    expect(info?.attempts).toBe(1);
    for (const pid of pids) expect(isAlive(pid)).toBe(false);
    expect(bin.stdout()).toContain("tq-worker: stopped");
  });

  test("a supervisor killed with SIGKILL leaves no orphans: the children drain and exit", async () => {
    const { bin, producer, pids } = await startPool();
    expect(pids).toHaveLength(2);
    const job = await producer.enqueue("sleep", [1_000]);
    await waitActive(producer, job.id);
    bin.proc.kill("SIGKILL");
    expect((await bin.exited).signal).toBe("SIGKILL");
    await waitFor(() => pids.every((pid) => !isAlive(pid)), {
      timeoutMs: 30_000,
      what: `children ${pids.join(", ")} to exit`,
    });
    const info = await producer.getJob(job.id);
    expect(info?.status).toBe("completed");
  });

  test("an orphaned child stuck in a handler that never yields is still ended", async () => {
    const { bin, producer, pids } = await startPool(["--shutdown-timeout-ms", "500"]);
    const job = await producer.enqueue("spin", []);
    await waitFor(async () => (await producer.getJob(job.id))?.progress, { what: "the spin job running" });
    bin.proc.kill("SIGKILL");
    await bin.exited;
    await waitFor(() => pids.every((pid) => !isAlive(pid)), {
      timeoutMs: 30_000,
      what: `children ${pids.join(", ")} to exit`,
    });
  });
});
