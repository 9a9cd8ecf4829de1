import { type ChildProcess, spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { freePort, uniquePrefix, uniqueQueue, waitFor } from "@tq/testing";
import { expect, test } from "vitest";
import { connection, defer, queue } from "./support.js";

const BIN = fileURLToPath(new URL("../dist/bin.js", import.meta.url));

function run(args: string[]) {
  const child = spawn(process.execPath, [BIN, ...args], {
    env: { ...process.env, REDIS_URL: connection },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stdout?.on("data", (chunk) => {
    stdout += chunk;
  });
  child.stderr?.on("data", (chunk) => {
    stderr += chunk;
  });
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  defer(async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
    await exited;
  });
  return { child, exited, out: () => stdout, err: () => stderr };
}

async function stopWith(child: ChildProcess, signal: NodeJS.Signals, exited: Promise<number | null>) {
  child.kill(signal);
  return exited;
}

test("tq-scheduler runs, sweeps its queues, and exits 0 on SIGTERM", async () => {
  const prefix = uniquePrefix();
  const name = uniqueQueue();
  const q = queue(name, prefix);
  const proc = run(["--prefix", prefix, "--queues", name]);
  await waitFor(() => proc.out().includes("ready"), { what: "the ready line" });
  const job = await q.enqueue("t", [], { delayMs: 200 });
  await waitFor(async () => (await q.getJob(job.id))?.status === "pending", { what: "promotion by the bin" });
  expect(await stopWith(proc.child, "SIGTERM", proc.exited)).toBe(0);
  expect(proc.err()).toBe("");
});

test("tq-scheduler exits 0 on SIGINT, prints help, and refuses unknown flags", async () => {
  const proc = run(["--prefix", uniquePrefix()]);
  await waitFor(() => proc.out().includes("ready"), { what: "the ready line" });
  expect(await stopWith(proc.child, "SIGINT", proc.exited)).toBe(0);

  const help = run(["--help"]);
  expect(await help.exited).toBe(0);
  expect(help.out()).toMatch(/Usage: tq-scheduler/);

  const bad = run(["--bogus"]);
  expect(await bad.exited).toBe(2);
  expect(bad.err()).toMatch(/bogus/);
});

test("a closed scheduler leaves nothing running: its process exits on its own", async () => {
  const index = new URL("../dist/index.js", import.meta.url).href;
  const script = `
    const { Scheduler } = await import(${JSON.stringify(index)});
    const s = new Scheduler({ connection: process.env.REDIS_URL, prefix: ${JSON.stringify(uniquePrefix())} });
    await s.upsertSchedule("x", { everyMs: 50 }, { queue: "q", task: "t" });
    await s.start();
    await new Promise((r) => setTimeout(r, 300));
    await s.close();
    console.log("closed");
  `;
  const child = spawn(process.execPath, ["--input-type=module", "-e", script], {
    env: { ...process.env, REDIS_URL: connection },
    stdio: ["ignore", "pipe", "inherit"],
  });
  let out = "";
  child.stdout?.on("data", (chunk) => {
    out += chunk;
  });
  const code = await new Promise<number | null>((resolve) => child.once("exit", (c) => resolve(c)));
  expect(out).toContain("closed");
  expect(code).toBe(0);
});

test("tq-scheduler --log-format json: one JSON object per line; a REDIS_URL password never printed", async () => {
  const prefix = uniquePrefix();
  const proc = run(["--prefix", prefix, "--log-format", "json"]);
  await waitFor(() => proc.out().includes("ready"), { what: "the ready line" });
  expect(await stopWith(proc.child, "SIGTERM", proc.exited)).toBe(0);
  const lines = proc
    .out()
    .trim()
    .split("\n")
    .map((line) => JSON.parse(line) as Record<string, unknown>);
  expect(lines[0]).toMatchObject({
    level: 30,
    time: expect.any(Number),
    prefix,
    msg: expect.stringMatching(/^ready/),
  });

  const port = await freePort();
  for (const format of ["json", "text"]) {
    const child = spawn(process.execPath, [BIN, "--log-format", format], {
      env: { ...process.env, REDIS_URL: `redis://alice:p@SECRET@127.0.0.1:${port}` },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let all = "";
    child.stdout?.on("data", (chunk) => {
      all += chunk;
    });
    child.stderr?.on("data", (chunk) => {
      all += chunk;
    });
    const code = await new Promise<number | null>((resolve) => child.once("exit", resolve));
    expect(code).toBe(1);
    expect(all).toMatch(/redis:\/\/\*\*\*@127\.0\.0\.1/);
    expect(all).not.toContain("SECRET");
  }
});
