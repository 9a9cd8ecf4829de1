/** Where the CLI writes and what it reads from its environment; `run` uses the process's by default. */
export interface CliIo {
  /** Writes to standard output (the command's result: a table, a line, or one JSON document). */
  stdout(text: string): void;
  /** Writes to standard error (errors, one line each). */
  stderr(text: string): void;
  /** The environment `REDIS_URL` and `TQ_PREFIX` are read from. */
  env: Readonly<Record<string, string | undefined>>;
  /** Whether standard output is a terminal (`stats --watch` redraws in place only then). */
  isTTY: boolean;
  /** Resolves when the user asks the command to stop (Ctrl-C), for `stats --watch`. */
  interrupted: Promise<void>;
}

/** The process's standard streams and environment. */
export function processIo(): CliIo {
  return {
    stdout: (text) => process.stdout.write(text),
    stderr: (text) => process.stderr.write(text),
    env: process.env,
    isTTY: process.stdout.isTTY === true,
    interrupted: new Promise<void>((resolve) => {
      process.once("SIGINT", () => resolve());
      process.once("SIGTERM", () => resolve());
    }),
  };
}
