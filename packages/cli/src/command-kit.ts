import { type Command, Option } from "commander";
import { CliError } from "./cli-error.js";
import type { CliIo } from "./io.js";
import { asCliFailure, type ConnectionFlags, resolveTarget, Session } from "./session.js";

/** The flags every command has, and `--json` on those that print a result. */
export interface CommonFlags extends ConnectionFlags {
  json?: boolean;
}

/** Adds `--redis-url` and `--prefix` (and `--json` when `json`) to a command. */
export function common(command: Command, { json = true }: { json?: boolean } = {}): Command {
  command
    .option(
      "--redis-url <url>",
      "the Redis URL (default: $REDIS_URL, else redis://127.0.0.1:6379); prefer REDIS_URL for a password",
    )
    .option("--prefix <prefix>", "the key prefix (default: $TQ_PREFIX, else tq)")
    .addOption(
      new Option(
        "--log-format <format>",
        "error lines as text or json (default: $TQ_LOG_FORMAT, else text)",
      ).choices(["text", "json"]),
    );
  if (json) command.option("--json", "print one JSON document instead of a table");
  return command;
}

/**
 * Runs a command's body on a fresh session: the target is checked first (a bad URL or prefix is a usage error and
 * nothing connects), then the session is opened, and always closed. Driver and tq errors become one CLI line.
 */
export async function withSession<T>(
  flags: ConnectionFlags,
  io: CliIo,
  body: (session: Session) => Promise<T>,
): Promise<T> {
  const target = resolveTarget(flags, io);
  const session = await Session.open(target);
  try {
    return await body(session);
  } catch (error) {
    if (error instanceof CliError) throw error;
    throw asCliFailure(error, "tq");
  } finally {
    await session.close();
  }
}

/** Prints `value` as one JSON document with `--json`, else the human text. */
export function print(io: CliIo, flags: CommonFlags, value: unknown, human: () => string): void {
  io.stdout(flags.json ? `${JSON.stringify(value, null, 2)}\n` : human());
}
