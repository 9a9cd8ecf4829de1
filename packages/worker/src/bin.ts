#!/usr/bin/env node
// tq-worker: runs a WorkerPool from the command line. Exit codes: 0 clean stop, 2 bad usage, 1 failure.
import { createLogger, type Logger, redactCredentials, urlSecrets, writeByLevel } from "@tq/connection";
import { quote } from "@tq/job-schema";
import { HELP, parseCliArgs, UsageError } from "./cli-args.js";
import { WorkerPool } from "./pool.js";
import { thrownMessage } from "./serialize-error.js";

// Every line this process prints goes through here: the Redis URL may carry a password, and messages from the
// connection layer may quote it back. `--log-format json` prints one JSON object per line instead of text.
let secrets = urlSecrets(process.env.REDIS_URL);
let json = false;
let log: Logger = createLogger("worker", { secrets, write: writeByLevel });
const line = (level: "info" | "error", text: string, fields: object = {}) => {
  if (json) log[level](fields, text);
  else writeByLevel(redactCredentials(text, secrets), level);
};
const out = (text: string, fields?: object) => line("info", text, fields);
const err = (text: string, fields?: object) => line("error", text, fields);

function usage(message: string): never {
  err(`tq-worker: ${message}\nRun "tq-worker --help" for the flags.`);
  process.exit(2);
}

async function main(): Promise<void> {
  let command: ReturnType<typeof parseCliArgs>;
  try {
    command = parseCliArgs(process.argv.slice(2));
  } catch (error) {
    if (error instanceof UsageError) usage(error.message);
    throw error;
  }
  if (command.kind === "help") {
    process.stdout.write(HELP);
    return;
  }
  const connection = command.options.connection;
  if (typeof connection === "string") secrets = [...urlSecrets(connection), ...secrets];
  json = command.logFormat === "json";
  // the worker processes inherit the format (and log with the same redaction of URLs)
  process.env.TQ_LOG_FORMAT = command.logFormat;
  log = createLogger("worker", { format: command.logFormat, secrets, write: writeByLevel });
  const poolLogger = createLogger("pool", { format: command.logFormat, secrets, write: writeByLevel });
  let pool: WorkerPool;
  try {
    pool = new WorkerPool({ ...command.options, logger: poolLogger });
  } catch (error) {
    usage(thrownMessage(error));
  }
  pool.on("error", (error) => err(`tq-worker: ${error.message}`, { err: error }));

  let stopping = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (!stopping) {
      stopping = true;
      err(`tq-worker: ${signal}: draining (running jobs may finish; send it again to stop at once)`);
      void pool.close();
    } else {
      err(`tq-worker: ${signal}: stopping now; running jobs go back to the queue`);
      void pool.close({ timeoutMs: 0 });
    }
  };
  process.on("SIGTERM", onSignal);
  process.on("SIGINT", onSignal);

  const closed = new Promise<void>((resolve) => pool.once("closed", resolve));
  try {
    await pool.start();
  } catch (error) {
    err(`tq-worker: ${thrownMessage(error)}`);
    process.exitCode = 1;
    return;
  }
  if (!stopping) {
    out(
      `tq-worker: ${pool.processes} process${pool.processes === 1 ? "" : "es"} consuming queue ${quote(pool.queue)} (pids ${pool.pids.join(", ")})` +
        (pool.healthPort === undefined ? "" : `; /healthz on port ${pool.healthPort}`) +
        (pool.metricsPort === undefined ? "" : `; /metrics on port ${pool.metricsPort}`),
    );
  }
  await closed;
  out("tq-worker: stopped");
  process.exitCode = 0;
}

main().catch((error: unknown) => {
  const stack = (error as { stack?: unknown } | null)?.stack;
  err(`tq-worker: ${typeof stack === "string" ? stack : thrownMessage(error)}`);
  process.exitCode = 1;
});
