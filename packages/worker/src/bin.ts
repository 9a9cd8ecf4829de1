#!/usr/bin/env node
// tq-worker: runs a WorkerPool from the command line. Exit codes: 0 clean stop, 2 bad usage, 1 failure.
import { format } from "node:util";
import { redactCredentials, urlSecrets } from "@tq/connection";
import { quote } from "@tq/job-schema";
import { HELP, parseCliArgs, UsageError } from "./cli-args.js";
import type { Logger } from "./handlers.js";
import { WorkerPool } from "./pool.js";
import { thrownMessage } from "./serialize-error.js";

// Every line this process prints goes through here: the Redis URL may carry a password, and messages from the
// connection layer may quote it back.
let secrets = urlSecrets(process.env.REDIS_URL);
const out = (text: string) => process.stdout.write(`${redactCredentials(text, secrets)}\n`);
const err = (text: string) => process.stderr.write(`${redactCredentials(text, secrets)}\n`);

/** The pool's log lines, redacted like everything else. */
const logger: Logger = {
  debug: (message, ...rest) => out(format(message, ...rest)),
  info: (message, ...rest) => out(format(message, ...rest)),
  warn: (message, ...rest) => err(format(message, ...rest)),
  error: (message, ...rest) => err(format(message, ...rest)),
};

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
  let pool: WorkerPool;
  try {
    pool = new WorkerPool({ ...command.options, logger });
  } catch (error) {
    usage(thrownMessage(error));
  }
  pool.on("error", (error) => err(`tq-worker: ${error.message}`));

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
