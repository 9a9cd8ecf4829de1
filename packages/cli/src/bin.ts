#!/usr/bin/env node
// tq: inspect and manage tq queues from the command line. Exit codes: 0 ok, 1 failure, 2 bad usage.
import { run } from "./run.js";

run(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
    // a socket that has not finished closing must not hold the shell for long; normally the process ends first
    setTimeout(() => process.exit(code), 1_000).unref();
  },
  (error: unknown) => {
    process.stderr.write(`tq: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  },
);
