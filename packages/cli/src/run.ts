import { createLogger, parseLogFormat, redactCredentials, urlSecrets } from "@tq/connection";
import { CommanderError } from "commander";
import { CliError, EXIT } from "./cli-error.js";
import { type CliIo, processIo } from "./io.js";
import { buildProgram } from "./program.js";

/** The value of a flag in argv (`--flag x` or `--flag=x`): `--redis-url` and `--token`, to redact them. */
function flagValue(argv: readonly string[], flag: string): string | undefined {
  for (const [i, arg] of argv.entries()) {
    if (arg === flag) return argv[i + 1];
    if (arg.startsWith(`${flag}=`)) return arg.slice(flag.length + 1);
  }
  return undefined;
}

/** The value of `--log-format` in argv, else `TQ_LOG_FORMAT`. */
function logFormatOf(argv: readonly string[], env: NodeJS.ProcessEnv): string | undefined {
  for (const [i, arg] of argv.entries()) {
    if (arg === "--log-format") return argv[i + 1];
    if (arg.startsWith("--log-format=")) return arg.slice("--log-format=".length);
  }
  return env.TQ_LOG_FORMAT;
}

/**
 * Runs the `tq` command line `argv` (without `node` and the script) and resolves with its exit code: 0 ok, 1 failure,
 * 2 bad usage. Every line written goes through credential redaction; an error is one line on stderr.
 *
 * @example
 * ```ts
 * process.exitCode = await run(process.argv.slice(2));
 * ```
 */
export async function run(argv: readonly string[], io: CliIo = processIo()): Promise<number> {
  const tokens = [flagValue(argv, "--token"), io.env.TQ_DASHBOARD_TOKEN].filter(
    (token): token is string => typeof token === "string" && token !== "",
  );
  const secrets = [...urlSecrets(flagValue(argv, "--redis-url")), ...urlSecrets(io.env.REDIS_URL), ...tokens];
  // `--log-format json` (or TQ_LOG_FORMAT=json): each error line is one JSON object (level 50, time, msg)
  const json = parseLogFormat(logFormatOf(argv, io.env)) === "json";
  const errorLog = createLogger("cli", {
    format: "json",
    secrets,
    write: (line) => io.stderr(`${line}\n`),
  });
  const safe: CliIo = {
    ...io,
    stdout: (text) => io.stdout(redactCredentials(text, secrets)),
    stderr: (text) => {
      if (!json) return io.stderr(redactCredentials(text, secrets));
      for (const line of text.split("\n"))
        if (line.trim() !== "") errorLog.error({}, line.replace(/^tq: /, ""));
    },
  };
  const result = { exitCode: EXIT.ok as number };
  const program = buildProgram(safe, result);
  if (argv.length === 0) {
    safe.stderr('tq: no command given; "tq --help" lists the commands\n');
    return EXIT.usage;
  }
  try {
    await program.parseAsync([...argv], { from: "user" });
    return result.exitCode;
  } catch (error) {
    if (error instanceof CommanderError) {
      // help and version are not errors; everything else commander refuses is bad usage (already printed)
      return error.code === "commander.helpDisplayed" || error.code === "commander.version"
        ? EXIT.ok
        : EXIT.usage;
    }
    if (error instanceof CliError) {
      safe.stderr(`tq: ${error.message.replace(/\s*\n\s*/g, " ")}\n`);
      return error.exitCode;
    }
    safe.stderr(`tq: unexpected error: ${error instanceof Error ? error.message : String(error)}\n`);
    return EXIT.failure;
  }
}
