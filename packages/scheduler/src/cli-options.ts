import { parseArgs } from "node:util";
import { type LogFormat, parseLogFormat } from "@tq/connection";
import { TqError } from "@tq/job-schema";
import { isPositiveInteger, SCHEDULER_DEFAULTS, type SchedulerOptions } from "./scheduler-options.js";

/** The `tq-scheduler --help` text. */
export const USAGE = `Usage: tq-scheduler [options]

Fires cron and interval schedules, promotes due delayed and retry jobs, and takes back expired leases.
Any number of tq-scheduler processes may run at once. SIGTERM or SIGINT stops it cleanly (exit code 0).

Options:
  --queues <a,b,...>       sweep only these queues (default: every queue in <prefix>:queues)
  --prefix <prefix>        key prefix (default: $TQ_PREFIX or "${SCHEDULER_DEFAULTS.prefix}")
  --max-interval-ms <ms>   longest sleep between passes (default: ${SCHEDULER_DEFAULTS.maxIntervalMs})
  --log-format <format>    text (default) or json: one JSON object per line (level, time, msg, fields)
  -h, --help               show this help

Environment:
  REDIS_URL                where Redis is (default: redis://127.0.0.1:6379)
  TQ_PREFIX                key prefix, when --prefix is not given
  TQ_LOG_FORMAT            text or json, when --log-format is not given
`;

/** What the command line asks for. */
export type CliCommand = { kind: "help" } | { kind: "run"; options: SchedulerOptions; logFormat: LogFormat };

/**
 * Reads the `tq-scheduler` arguments and environment into {@link SchedulerOptions}; the `Scheduler` resolves them
 * like any other options. Throws `VALIDATION` for a bad flag or a value that is not what the flag takes.
 */
export function parseCli(argv: readonly string[], env: NodeJS.ProcessEnv): CliCommand {
  let values: {
    queues?: string;
    prefix?: string;
    "max-interval-ms"?: string;
    "log-format"?: string;
    help?: boolean;
  };
  try {
    ({ values } = parseArgs({
      args: [...argv],
      options: {
        queues: { type: "string" },
        prefix: { type: "string" },
        "max-interval-ms": { type: "string" },
        "log-format": { type: "string" },
        help: { type: "boolean", short: "h" },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (error) {
    throw new TqError("VALIDATION", `tq-scheduler: ${(error as Error).message} (see --help)`, {
      cause: error,
    });
  }
  if (values.help) return { kind: "help" };
  const options: SchedulerOptions = {};
  if (env.REDIS_URL) options.connection = env.REDIS_URL;
  const prefix = values.prefix ?? env.TQ_PREFIX;
  if (prefix) options.prefix = prefix;
  if (values.queues !== undefined) {
    const queues = values.queues
      .split(",")
      .map((q) => q.trim())
      .filter((q) => q.length > 0);
    if (queues.length === 0)
      throw new TqError("VALIDATION", "tq-scheduler: --queues needs at least one name");
    options.queues = queues;
  }
  if (values["max-interval-ms"] !== undefined) {
    const ms = Number(values["max-interval-ms"]);
    if (!isPositiveInteger(ms)) {
      throw new TqError(
        "VALIDATION",
        `tq-scheduler: --max-interval-ms must be a positive whole number, got ${values["max-interval-ms"]}`,
      );
    }
    options.maxIntervalMs = ms;
  }
  const formatText = values["log-format"] ?? env.TQ_LOG_FORMAT ?? "text";
  const logFormat = parseLogFormat(formatText);
  if (!logFormat) {
    throw new TqError(
      "VALIDATION",
      `tq-scheduler: ${values["log-format"] === undefined ? "TQ_LOG_FORMAT" : "--log-format"} must be text or json, got ${JSON.stringify(formatText)}`,
    );
  }
  return { kind: "run", options, logFormat };
}
