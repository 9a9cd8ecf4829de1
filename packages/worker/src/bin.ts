#!/usr/bin/env node
// tq-worker: runs a WorkerPool from the command line. Exit codes: 0 clean stop, 2 bad usage, 1 failure.
import { HELP, parseCliArgs, UsageError } from "./cli-args.js";
import { WorkerPool } from "./pool.js";

function usage(message: string): never {
  process.stderr.write(`tq-worker: ${message}\nRun "tq-worker --help" for the flags.\n`);
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
  let pool: WorkerPool;
  try {
    pool = new WorkerPool(command.options);
  } catch (error) {
    usage((error as Error).message);
  }
  pool.on("error", (error) => process.stderr.write(`tq-worker: ${error.message}\n`));

  let stopping = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (!stopping) {
      stopping = true;
      process.stderr.write(
        `tq-worker: ${signal}: draining (running jobs may finish; send it again to stop at once)\n`,
      );
      void pool.close();
    } else {
      process.stderr.write(`tq-worker: ${signal}: stopping now; running jobs go back to the queue\n`);
      void pool.close({ timeoutMs: 0 });
    }
  };
  process.on("SIGTERM", onSignal);
  process.on("SIGINT", onSignal);

  const closed = new Promise<void>((resolve) => pool.once("closed", resolve));
  try {
    await pool.start();
  } catch (error) {
    process.stderr.write(`tq-worker: ${(error as Error).message}\n`);
    process.exitCode = 1;
    return;
  }
  if (!stopping) {
    process.stdout.write(
      `tq-worker: ${pool.processes} process${pool.processes === 1 ? "" : "es"} consuming queue "${pool.queue}" (pids ${pool.pids.join(", ")})\n`,
    );
  }
  await closed;
  process.stdout.write("tq-worker: stopped\n");
  process.exitCode = 0;
}

main().catch((error: unknown) => {
  process.stderr.write(`tq-worker: ${(error as Error)?.stack ?? String(error)}\n`);
  process.exitCode = 1;
});
