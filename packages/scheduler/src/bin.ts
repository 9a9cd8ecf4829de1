#!/usr/bin/env node
import { createLogger, type Logger, redactCredentials, urlSecrets, writeByLevel } from "@tq/connection";
import { isTqError } from "@tq/job-schema";
import { parseCli, USAGE } from "./cli-options.js";
import { Scheduler } from "./scheduler.js";

// Every line goes through the logger: the Redis URL may carry a password, and messages from the connection layer
// may quote it back; both are redacted. `--log-format json` prints one JSON object per line.
const secrets = urlSecrets(process.env.REDIS_URL);
let log: Logger = createLogger("scheduler", { format: "text", secrets, write: writeByLevel });
/** Text lines look as they always have: `tq-scheduler: <msg>`, the fields only in json. */
let text = true;
const say = (level: "info" | "error", msg: string, fields: object = {}) => {
  if (text) writeByLevel(redactCredentials(`tq-scheduler: ${msg}`, secrets), level);
  else log[level](fields, msg);
};

async function main(): Promise<number> {
  let command: ReturnType<typeof parseCli>;
  try {
    command = parseCli(process.argv.slice(2), process.env);
  } catch (error) {
    process.stderr.write(`${redactCredentials((error as Error).message, secrets)}\n`);
    return 2;
  }
  if (command.kind === "help") {
    process.stdout.write(USAGE);
    return 0;
  }
  text = command.logFormat === "text";
  log = createLogger("scheduler", { format: command.logFormat, secrets, write: writeByLevel });
  const scheduler = new Scheduler({ ...command.options, logger: log });
  scheduler.on("error", (error) => say("error", error.message, { err: error }));
  scheduler.on("fired", (e) =>
    say("info", `schedule "${e.schedule}" fired job ${e.jobId} (task "${e.task}") into "${e.queue}"`, {
      schedule: e.schedule,
      jobId: e.jobId,
      task: e.task,
      queue: e.queue,
    }),
  );
  scheduler.on("missed", (e) =>
    say(
      "info",
      `schedule "${e.schedule}" missed ticks from ${new Date(e.tickMs).toISOString()} (${e.policy}: ${e.fired ? "one job enqueued" : "skipped"})`,
      { schedule: e.schedule, tickMs: e.tickMs, policy: e.policy, fired: e.fired },
    ),
  );

  let stopping: Promise<number> | undefined;
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) return stopping;
    say("info", `${signal} received, stopping`, { signal });
    stopping = scheduler.close().then(
      () => 0,
      (error) => {
        say("error", `close failed: ${(error as Error).message}`, { err: error });
        return 1;
      },
    );
    return stopping;
  };
  const stopped = new Promise<number>((resolve) => {
    process.once("SIGTERM", () => void stop("SIGTERM").then(resolve));
    process.once("SIGINT", () => void stop("SIGINT").then(resolve));
  });

  try {
    await scheduler.start();
  } catch (error) {
    say("error", isTqError(error) ? error.message : String(error), { err: error });
    await scheduler.close();
    return 1;
  }
  const queues = command.options.queues ? command.options.queues.join(", ") : "every known queue";
  say("info", `ready (prefix "${scheduler.prefix}", queues: ${queues})`, {
    prefix: scheduler.prefix,
    queues: command.options.queues ?? null,
  });
  return stopped;
}

main().then(
  (code) => process.exit(code),
  (error) => {
    say("error", (error as Error).stack ?? String(error), { err: error });
    process.exit(1);
  },
);
