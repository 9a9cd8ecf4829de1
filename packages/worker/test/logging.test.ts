import { spawn } from "node:child_process";
import { Writable } from "node:stream";
import { Queue } from "@tq/client";
import { createLogger, type Logger, withFields } from "@tq/connection";
import { freePort, uniquePrefix, uniqueQueue, waitFor } from "@tq/testing";
import pino from "pino";
import { afterEach, describe, expect, inject, test } from "vitest";
import { Worker } from "../src/index.js";
import { binPath, fixture } from "./pool-helpers.js";

const connection = inject("redisUrl");
const cleanup: Array<() => Promise<unknown> | unknown> = [];
afterEach(async () => {
  while (cleanup.length) await cleanup.pop()?.();
});

/** A writable stream that keeps each line written to it. */
function lineSink() {
  const lines: string[] = [];
  let rest = "";
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      const parts = (rest + chunk.toString()).split("\n");
      rest = parts.pop() ?? "";
      lines.push(...parts.filter((l) => l.length > 0));
      done();
    },
  });
  return { stream, lines };
}

describe("a pino logger", () => {
  test("ctx.logger is the logger's child: JSON lines with queue, jobId, task and attempt, both call forms", async () => {
    const sink = lineSink();
    const logger = pino({ base: null }, sink.stream);
    const queue = new Queue(uniqueQueue("pino"), { connection, prefix: uniquePrefix(), logger });
    cleanup.push(() => queue.close());
    const worker = new Worker(
      queue.name,
      {
        greet: async ([name]: [string], ctx) => {
          ctx.logger.info(`hello ${name}`);
          ctx.logger.warn({ step: 2 }, "structured");
          return "ok";
        },
      },
      { connection, prefix: queue.prefix, logger },
    );
    cleanup.push(() => worker.close({ timeoutMs: 0 }));
    await worker.start();
    const job = await queue.enqueue("greet", ["ada"]);
    await queue.waitForResult(job.id, { timeoutMs: 30_000 });
    const records = await waitFor(() => {
      const parsed = sink.lines.map((line) => JSON.parse(line) as Record<string, unknown>);
      return parsed.length >= 2 ? parsed : null;
    });
    const fields = { queue: queue.name, jobId: job.id, task: "greet", attempt: 1 };
    expect(records).toContainEqual({ level: 30, time: expect.any(Number), ...fields, msg: "hello ada" });
    expect(records).toContainEqual({
      level: 40,
      time: expect.any(Number),
      ...fields,
      step: 2,
      msg: "structured",
    });
  });
});

describe("the default logger", () => {
  test("text: [tq <name>] msg key=value, json: pino's shape; credentials redacted in both", () => {
    const lines: string[] = [];
    const write = (line: string) => void lines.push(line);
    const secrets = ["s3cret-pw"];
    const text = createLogger("worker", { write, secrets });
    text.info({ queue: "emails", jobId: "j 1" }, "claimed");
    text.error({ err: new Error("cannot connect to redis://bob:s3cret-pw@db:6379") }, "failed");
    text.info("plain text");
    expect(lines).toEqual([
      '[tq worker] claimed queue=emails jobId="j 1"',
      '[tq worker] error failed err="cannot connect to redis://***@db:6379"',
      "[tq worker] plain text",
    ]);
    lines.length = 0;
    const json = createLogger("worker", { write, secrets, format: "json", bindings: { queue: "emails" } });
    json.warn({ url: "redis://bob:s3cret-pw@db:6379" }, "slow");
    json.child?.({ jobId: "j1" }).info("from a job");
    const [warn, info] = lines.map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(warn).toEqual({
      level: 40,
      time: expect.any(Number),
      name: "tq worker",
      msg: "slow",
      queue: "emails",
      url: "redis://***@db:6379",
    });
    expect(info).toMatchObject({ level: 30, msg: "from a job", queue: "emails", jobId: "j1" });
    expect(lines.join("\n")).not.toContain("s3cret-pw");
  });

  test("withFields wraps a logger without child: both call forms get the fields", () => {
    const calls: unknown[][] = [];
    const base: Logger = {
      info: (...args: unknown[]) => void calls.push(["info", ...args]),
      warn: (...args: unknown[]) => void calls.push(["warn", ...args]),
      error: (...args: unknown[]) => void calls.push(["error", ...args]),
    };
    const logger = withFields(base, { jobId: "j1" });
    logger.info("text");
    logger.warn({ n: 1 }, "obj");
    logger.debug?.("dropped: the base has no debug");
    expect(calls).toEqual([
      ["info", { jobId: "j1" }, "text"],
      ["warn", { jobId: "j1", n: 1 }, "obj"],
    ]);
  });
});

function runBin(args: string[], env: NodeJS.ProcessEnv) {
  const proc = spawn(process.execPath, [binPath, ...args], {
    env: { ...process.env, ...env },
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
  const exited = new Promise<number | null>((resolve) => proc.once("exit", (code) => resolve(code)));
  cleanup.push(() => {
    if (proc.exitCode === null && proc.signalCode === null) proc.kill("SIGKILL");
  });
  return { proc, exited, stdout: () => out, stderr: () => err };
}

const jsonLines = (text: string) =>
  text
    .split("\n")
    .filter((line) => line.length > 0)
    .map((line) => JSON.parse(line) as Record<string, unknown>);

describe("tq-worker --log-format json", () => {
  test("every line of the bin and its worker processes is one JSON object, ctx.logger's with the job's fields", async () => {
    const queue = uniqueQueue("binlog");
    const prefix = uniquePrefix();
    const producer = new Queue(queue, { connection, prefix });
    cleanup.push(() => producer.close());
    const bin = runBin(
      [
        "--queue",
        queue,
        "--prefix",
        prefix,
        "--processes",
        "1",
        "--log-format",
        "json",
        fixture("pool-tasks.mjs"),
      ],
      { REDIS_URL: connection },
    );
    await waitFor(() => bin.stdout().includes("consuming queue"), {
      timeoutMs: 30_000,
      what: `the bin to start (stderr: ${bin.stderr()})`,
    });
    const job = await producer.enqueue("log", ["hi"]);
    await producer.waitForResult(job.id, { timeoutMs: 30_000 });
    const fromJob = await waitFor(() => {
      const lines = jsonLines(bin.stderr()).filter((r) => r.jobId === job.id);
      return lines.length >= 2 ? lines : null;
    });
    const fields = { queue, jobId: job.id, task: "log", attempt: 1 };
    expect(fromJob[0]).toMatchObject({ level: 30, time: expect.any(Number), msg: "hi", ...fields });
    expect(fromJob[1]).toMatchObject({ level: 30, msg: "hi again", step: 2, ...fields });
    bin.proc.kill("SIGTERM");
    expect(await bin.exited).toBe(0);
    const out = jsonLines(bin.stdout());
    expect(out[0]).toMatchObject({ level: 30, time: expect.any(Number) });
    expect(String(out[0]?.msg)).toMatch(/^tq-worker: 1 process consuming queue/);
    expect(out.at(-1)).toMatchObject({ msg: "tq-worker: stopped" });
    for (const record of [...out, ...jsonLines(bin.stderr())]) {
      expect(record).toEqual(expect.objectContaining({ level: expect.any(Number), msg: expect.any(String) }));
    }
  });

  test("a REDIS_URL password never appears in any line, text or json, connection errors included", async () => {
    const port = await freePort();
    const args = ["--queue", "q", "--processes", "1", fixture("pool-tasks.mjs")];
    for (const [extra, env] of [
      [["--log-format", "json"], {}],
      [[], { TQ_LOG_FORMAT: "json" }],
      [[], { TQ_LOG_FORMAT: "text" }],
    ] as const) {
      const bin = runBin([...extra, ...args], {
        ...env,
        REDIS_URL: `redis://alice:p@SECRET@127.0.0.1:${port}`,
      });
      expect(await bin.exited).toBe(1);
      const all = bin.stdout() + bin.stderr();
      expect(all).toMatch(/cannot connect to Redis at redis:\/\/\*\*\*@127\.0\.0\.1:/);
      expect(all).not.toMatch(/SECRET/);
      if (env.TQ_LOG_FORMAT !== "text") {
        const records = jsonLines(bin.stderr());
        expect(records.length).toBeGreaterThan(0);
        expect(records.every((r) => r.level === 50)).toBe(true);
      }
    }
  });

  test("a bad --log-format or TQ_LOG_FORMAT is bad usage", async () => {
    const bad = runBin(["--queue", "q", "--log-format", "xml", fixture("pool-tasks.mjs")], {
      REDIS_URL: connection,
    });
    expect(await bad.exited).toBe(2);
    expect(bad.stderr()).toMatch(/--log-format must be text or json, got "xml"/);
    const badEnv = runBin(["--queue", "q", fixture("pool-tasks.mjs")], {
      REDIS_URL: connection,
      TQ_LOG_FORMAT: "x",
    });
    expect(await badEnv.exited).toBe(2);
    expect(badEnv.stderr()).toMatch(/TQ_LOG_FORMAT must be text or json/);
  });
});
