import { parseArgs } from "node:util";
import { type LogFormat, parseLogFormat } from "@tq/connection";
import { MAX_TIMER_MS, quote } from "@tq/job-schema";
import { isValidPrefix, isValidQueueName } from "@tq/protocol";
import { POOL_DEFAULTS, type WorkerPoolOptions } from "./pool-options.js";
import { WORKER_DEFAULTS } from "./worker-options.js";

/** The `tq-worker --help` text: every flag, its unit and its default (from the defaults the pool resolves with). */
export const HELP = `Usage: tq-worker --queue <name> [options] <handlers-module>

Runs the jobs of one queue in a supervised pool of worker processes. <handlers-module> is a path (or URL) to a
compiled JavaScript module, ESM or CommonJS, whose default export (or named "handlers" export) maps task names to
handler functions. SIGTERM or SIGINT drains gracefully: no new jobs are claimed and running jobs may finish within
--shutdown-timeout-ms; a second signal stops at once and hands running jobs back to the queue.

Options:
  -q, --queue <name>               The queue to consume (required).
  -p, --processes <n>              How many worker processes to run. Default: the number of CPUs.
  -c, --concurrency <n>            How many jobs each process runs at once. Default: ${WORKER_DEFAULTS.concurrency}.
      --redis-url <url>            The Redis URL. Default: $REDIS_URL, else redis://127.0.0.1:6379.
                                   Prefer REDIS_URL: a password in --redis-url is visible to every user of
                                   the machine (ps, /proc/<pid>/cmdline) and may end up in shell history.
      --prefix <prefix>            The key prefix; must match the producers'. 1-100 characters without
                                   braces, whitespace or control characters. Default: ${WORKER_DEFAULTS.prefix}.
      --lease-ms <ms>              A claimed job's lease in milliseconds, renewed while it runs. Default: ${WORKER_DEFAULTS.leaseMs}.
      --shutdown-timeout-ms <ms>   How long running jobs may take to finish on shutdown, in milliseconds.
                                   Default: ${WORKER_DEFAULTS.shutdownTimeoutMs}.
      --hard-timeout-grace-ms <ms> How long past a job's timeoutMs a process whose handler does not yield is
                                   killed, in milliseconds. Default: ${POOL_DEFAULTS.hardTimeoutGraceMs}.
      --health-port <port>         Serve GET /healthz on this port: 200 while every process is consuming,
                                   503 with a JSON body naming those that are not. Default: none.
      --health-host <host>         The address /healthz listens on. Default: 127.0.0.1.
      --metrics-port <port>        Serve GET /metrics (Prometheus text format) on this port: the queue's
                                   series read from Redis and every process's wait and run time histograms.
                                   The same port as --health-port serves both paths. Default: none.
      --metrics-host <host>        The address /metrics listens on (0.0.0.0 for every interface, e.g. for a
                                   Prometheus server in another container). Default: 127.0.0.1.
      --log-format <format>        text, or json: one JSON object per line (level as pino's number, time in
                                   epoch ms, msg, fields), the worker processes' lines too. Default: text.
  -h, --help                       Print this help and exit.

Durations are whole milliseconds, at most ${MAX_TIMER_MS} (about 24.8 days).

Environment:
  REDIS_URL                        The Redis URL (redis://user:password@host:port/db, or rediss:// for TLS)
                                   when --redis-url is not given; the place for a password. URLs in
                                   tq-worker's messages show *** instead of their credentials.
  TQ_LOG_FORMAT                    text or json, when --log-format is not given.

Exit codes: 0 after a clean stop, 2 for bad usage, 1 when the pool cannot start or fails.

Example:
  REDIS_URL=redis://127.0.0.1:6379 tq-worker --queue emails --processes 4 --concurrency 10 ./dist/tasks.js
`;

/** A command line that cannot be run: the bin prints the message and exits with code 2. */
export class UsageError extends Error {
  override readonly name = "UsageError";
}

/** What the command line asks for. */
export type CliCommand = { kind: "help" } | { kind: "run"; options: WorkerPoolOptions; logFormat: LogFormat };

function integer(flag: string, value: string | undefined, min: number): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (value.trim() === "" || !Number.isInteger(n) || n < min) {
    throw new UsageError(`--${flag} must be an integer of at least ${min}, got ${quote(value)}`);
  }
  return n;
}

/** A duration flag: whole milliseconds from `min` to the longest delay a timer can wait. */
function duration(flag: string, value: string | undefined, min: number): number | undefined {
  const n = integer(flag, value, min);
  if (n !== undefined && n > MAX_TIMER_MS) {
    throw new UsageError(
      `--${flag} must be at most ${MAX_TIMER_MS} ms (about 24.8 days, the longest a timer can wait), got ${quote(value)}`,
    );
  }
  return n;
}

/** Parses `tq-worker` arguments (without `node` and the script). Throws {@link UsageError} for a bad command line. */
export function parseCliArgs(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): CliCommand {
  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse(argv);
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const { values, positionals } = parsed;
  if (values.help) return { kind: "help" };
  if (!values.queue) throw new UsageError("--queue is required");
  if (!isValidQueueName(values.queue)) {
    throw new UsageError(
      `--queue must be 1-200 characters of letters, digits and _ . : -, got ${quote(values.queue)}`,
    );
  }
  if (positionals.length !== 1) {
    throw new UsageError(
      positionals.length === 0
        ? "the handlers module is required (the last argument, e.g. ./dist/tasks.js)"
        : `expected one handlers module, got ${positionals.length}: ${positionals.map((p) => quote(p)).join(" ")}`,
    );
  }
  const options: WorkerPoolOptions = {
    queue: values.queue,
    module: positionals[0] as string,
  };
  const processes = integer("processes", values.processes, 1);
  if (processes !== undefined) options.processes = processes;
  const concurrency = integer("concurrency", values.concurrency, 1);
  if (concurrency !== undefined) options.concurrency = concurrency;
  const connection = values["redis-url"] ?? env.REDIS_URL;
  if (connection !== undefined) options.connection = connection;
  if (values.prefix !== undefined) {
    if (!isValidPrefix(values.prefix)) {
      throw new UsageError(
        `--prefix must be 1-100 characters without braces, whitespace or control characters, got ${quote(values.prefix)}`,
      );
    }
    options.prefix = values.prefix;
  }
  const leaseMs = duration("lease-ms", values["lease-ms"], 100);
  if (leaseMs !== undefined) options.leaseMs = leaseMs;
  const shutdownTimeoutMs = duration("shutdown-timeout-ms", values["shutdown-timeout-ms"], 0);
  if (shutdownTimeoutMs !== undefined) options.shutdownTimeoutMs = shutdownTimeoutMs;
  const grace = duration("hard-timeout-grace-ms", values["hard-timeout-grace-ms"], 0);
  if (grace !== undefined) options.hardTimeoutGraceMs = grace;
  const health = listenFlags("health", values["health-port"], values["health-host"]);
  if (health.port !== undefined) options.healthPort = health.port;
  if (health.host !== undefined) options.healthHost = health.host;
  const metrics = listenFlags("metrics", values["metrics-port"], values["metrics-host"]);
  if (metrics.port !== undefined) options.metricsPort = metrics.port;
  if (metrics.host !== undefined) options.metricsHost = metrics.host;
  if (
    metrics.port !== undefined &&
    metrics.port === health.port &&
    (options.metricsHost ?? "127.0.0.1") !== (options.healthHost ?? "127.0.0.1")
  ) {
    throw new UsageError(
      "--metrics-port equals --health-port (one server), so --metrics-host must equal --health-host",
    );
  }
  const formatText = values["log-format"] ?? env.TQ_LOG_FORMAT ?? "text";
  const logFormat = parseLogFormat(formatText);
  if (!logFormat) {
    throw new UsageError(
      `${values["log-format"] === undefined ? "TQ_LOG_FORMAT" : "--log-format"} must be text or json, got ${quote(formatText)}`,
    );
  }
  return { kind: "run", options, logFormat };
}

/** `--<name>-port` (0–65535) and `--<name>-host` (not empty, only with the port) of one of the bin's servers. */
function listenFlags(
  name: "health" | "metrics",
  portText: string | undefined,
  host: string | undefined,
): { port?: number; host?: string } {
  const port = integer(`${name}-port`, portText, 0);
  if (port !== undefined && port > 65_535) {
    throw new UsageError(`--${name}-port must be at most 65535, got ${quote(portText)}`);
  }
  if (host === "") throw new UsageError(`--${name}-host must not be empty`);
  if (host !== undefined && port === undefined) throw new UsageError(`--${name}-host needs --${name}-port`);
  return { port, host };
}

function parse(argv: readonly string[]) {
  return parseArgs({
    args: [...argv],
    allowPositionals: true,
    strict: true,
    options: {
      queue: { type: "string", short: "q" },
      processes: { type: "string", short: "p" },
      concurrency: { type: "string", short: "c" },
      "redis-url": { type: "string" },
      prefix: { type: "string" },
      "lease-ms": { type: "string" },
      "shutdown-timeout-ms": { type: "string" },
      "hard-timeout-grace-ms": { type: "string" },
      "health-port": { type: "string" },
      "health-host": { type: "string" },
      "metrics-port": { type: "string" },
      "metrics-host": { type: "string" },
      "log-format": { type: "string" },
      help: { type: "boolean", short: "h" },
    },
  });
}
