/** Exit codes of `tq`. */
export const EXIT = {
  /** The command did what it was asked. */
  ok: 0,
  /** It could not: Redis unreachable or refusing, no such queue or job, a job in the wrong state, a check failed. */
  failure: 1,
  /** The command line is wrong: unknown command or flag, malformed job id, invalid JSON, bad number. */
  usage: 2,
} as const;

/** An error the CLI reports as one line on stderr, with its exit code. */
export class CliError extends Error {
  override readonly name = "CliError";
  readonly exitCode: number;

  constructor(exitCode: number, message: string) {
    super(message);
    this.exitCode = exitCode;
  }
}

/** A command line that cannot be run (exit 2); nothing has been sent to Redis. */
export function usageError(message: string): CliError {
  return new CliError(EXIT.usage, message);
}

/** A command that failed at run time (exit 1). */
export function failure(message: string): CliError {
  return new CliError(EXIT.failure, message);
}
