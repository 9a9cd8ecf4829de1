#!/usr/bin/env node
import { isTqError } from "@tq/job-schema";
import { parseCli, USAGE } from "./cli-options.js";
import { Scheduler } from "./scheduler.js";

async function main(): Promise<number> {
  let command: ReturnType<typeof parseCli>;
  try {
    command = parseCli(process.argv.slice(2), process.env);
  } catch (error) {
    console.error((error as Error).message);
    return 2;
  }
  if (command.kind === "help") {
    process.stdout.write(USAGE);
    return 0;
  }
  const scheduler = new Scheduler(command.options);
  scheduler.on("error", (error) => console.error(`tq-scheduler: ${error.message}`));
  scheduler.on("fired", (e) =>
    console.log(
      `tq-scheduler: schedule "${e.schedule}" fired job ${e.jobId} (task "${e.task}") into "${e.queue}"`,
    ),
  );
  scheduler.on("missed", (e) =>
    console.log(
      `tq-scheduler: schedule "${e.schedule}" missed ticks from ${new Date(e.tickMs).toISOString()} (${e.policy}: ${e.fired ? "one job enqueued" : "skipped"})`,
    ),
  );

  let stopping: Promise<number> | undefined;
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) return stopping;
    console.log(`tq-scheduler: ${signal} received, stopping`);
    stopping = scheduler.close().then(
      () => 0,
      (error) => {
        console.error(`tq-scheduler: close failed: ${(error as Error).message}`);
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
    console.error(`tq-scheduler: ${isTqError(error) ? error.message : String(error)}`);
    await scheduler.close();
    return 1;
  }
  const queues = command.options.queues ? command.options.queues.join(", ") : "every known queue";
  console.log(`tq-scheduler: ready (prefix "${scheduler.prefix}", queues: ${queues})`);
  return stopped;
}

main().then(
  (code) => process.exit(code),
  (error) => {
    console.error(`tq-scheduler: ${(error as Error).stack ?? String(error)}`);
    process.exit(1);
  },
);
