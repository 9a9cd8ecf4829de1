// The one logger shape every tq class takes (pino's: `info(obj, msg)`), and the small default that prints to stderr.
import { redactCredentials, urlSecrets } from "./redact-credentials.js";

/** Structured fields of a log line. */
export type LogFields = Record<string, unknown>;

/** One level's method: pino's call forms `(obj, msg)` and `(msg)`. tq itself always calls `(obj, msg)`. */
export interface LogFn {
  (obj: object, msg?: string): void;
  (msg: string): void;
}

/**
 * What Queue, Worker, WorkerPool and Scheduler log to: a pino logger fits as it is, and so does `console`. When it
 * has `child`, a handler's `ctx.logger` is `logger.child({ queue, jobId, task, attempt })`.
 */
export interface Logger {
  debug?: LogFn;
  info: LogFn;
  warn: LogFn;
  error: LogFn;
  child?(bindings: LogFields): Logger;
}

/** The levels, with pino's numbers (what the `json` format writes as `level`). */
export const LOG_LEVELS = { debug: 20, info: 30, warn: 40, error: 50 } as const;

/** A level's name. */
export type LogLevel = keyof typeof LOG_LEVELS;

/** How the default logger writes a line: `text` (`[tq worker] msg key=value …`) or `json` (one object per line). */
export type LogFormat = "text" | "json";

/** The formats {@link createLogger} writes. */
export const LOG_FORMATS: readonly LogFormat[] = ["text", "json"];

/** Options of {@link createLogger}. */
export interface CreateLoggerOptions {
  /** @defaultValue "text" */
  format?: LogFormat;
  /** Fields on every line (`json`), or after the message (`text`). */
  bindings?: LogFields;
  /**
   * Where a finished line goes (no newline at its end). @defaultValue every level to `console.error` (stderr, and
   * wherever an application or a test runner sends console output)
   */
  write?: (line: string, level: LogLevel) => void;
  /**
   * Literal secrets replaced by `***` in every line, besides the credentials of any URL (always redacted).
   * @defaultValue the credentials of `process.env.REDIS_URL`
   */
  secrets?: readonly string[];
  /** The lowest level written. @defaultValue "info" */
  level?: LogLevel;
}

/** An `Error` as plain fields (`type`, `message`, `code`, `stack`), like pino's `err` serializer. */
function errorFields(error: Error): LogFields {
  const code = (error as { code?: unknown }).code;
  return {
    type: error.name,
    message: error.message,
    ...(code === undefined ? {} : { code }),
    ...(error.stack ? { stack: error.stack } : {}),
  };
}

function plain(value: unknown): unknown {
  return value instanceof Error ? errorFields(value) : value;
}

function textValue(value: unknown): string {
  if (value instanceof Error) return JSON.stringify(value.message);
  if (typeof value === "string") return /^[\w.:/@+-]+$/.test(value) ? value : JSON.stringify(value);
  if (value === undefined) return "undefined";
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}

/** `(obj, msg)` or `(msg)` as fields and a message. */
export function logArguments(first: unknown, msg?: unknown): { fields: LogFields; msg: string } {
  if (typeof first === "string") return { fields: {}, msg: first };
  if (first instanceof Error)
    return { fields: { err: first }, msg: typeof msg === "string" ? msg : first.message };
  const fields = first && typeof first === "object" ? (first as LogFields) : {};
  return { fields, msg: typeof msg === "string" ? msg : "" };
}

/**
 * A small logger without dependencies, pino-compatible: `text` prints `[tq <name>] <msg> key=value …`, `json` one
 * object per line with `level` (pino's numbers: 20 debug, 30 info, 40 warn, 50 error), `time` (epoch ms), `msg` and
 * the fields (an `Error` under any key becomes `{ type, message, code, stack }`). Every line has the credentials of
 * URLs, and the given secrets, replaced by `***`.
 */
export function createLogger(name: string, options: CreateLoggerOptions = {}): Logger {
  const format = options.format ?? "text";
  const secrets = options.secrets ?? urlSecrets(process.env.REDIS_URL);
  const write = options.write ?? ((line: string) => console.error(line));
  const min = LOG_LEVELS[options.level ?? "info"];
  const redact = (text: string) => redactCredentials(text, secrets);
  const make = (bindings: LogFields): Logger => {
    const at =
      (level: LogLevel): LogFn =>
      (first: object | string, msg?: string) => {
        if (LOG_LEVELS[level] < min) return;
        const call = logArguments(first, msg);
        const fields = { ...bindings, ...call.fields };
        let line: string;
        if (format === "json") {
          const record = {
            level: LOG_LEVELS[level],
            time: Date.now(),
            name: `tq ${name}`,
            msg: call.msg,
            ...fields,
          };
          line = JSON.stringify(record, (_key, value: unknown) => {
            const out = plain(value);
            return typeof out === "string" ? redact(out) : out;
          });
        } else {
          const pairs = Object.entries(fields)
            .filter(([, value]) => value !== undefined)
            .map(([key, value]) => `${key}=${textValue(value)}`);
          const tag = level === "info" || level === "debug" ? "" : ` ${level}`;
          line = redact(`[tq ${name}]${tag} ${call.msg}${pairs.length ? ` ${pairs.join(" ")}` : ""}`);
        }
        write(line, level);
      };
    return {
      debug: at("debug"),
      info: at("info"),
      warn: at("warn"),
      error: at("error"),
      child: (more) => make({ ...bindings, ...more }),
    };
  };
  return make(options.bindings ?? {});
}

/**
 * `logger` with `fields` on each line: `logger.child(fields)` when it has `child` (pino), else a wrapper that adds
 * them to the first argument (a string first argument becomes the message).
 */
export function withFields(logger: Logger, fields: LogFields): Logger {
  if (typeof logger.child === "function") return logger.child(fields);
  const wrap =
    (fn: LogFn | undefined): LogFn =>
    (first: object | string, msg?: string) => {
      if (!fn) return;
      const call = logArguments(first, msg);
      const method: (obj: object, msg?: string) => void = fn;
      method.call(logger, { ...fields, ...call.fields }, call.msg);
    };
  return {
    debug: wrap(logger.debug),
    info: wrap(logger.info),
    warn: wrap(logger.warn),
    error: wrap(logger.error),
    child: (more) => withFields(logger, { ...fields, ...more }),
  };
}

/** Writes info and debug lines to stdout, warn and error lines to stderr (what the bins do). */
export function writeByLevel(line: string, level: LogLevel): void {
  (level === "info" || level === "debug" ? process.stdout : process.stderr).write(`${line}\n`);
}

/** A {@link LogFormat} from a flag or `TQ_LOG_FORMAT`; `undefined` for anything else. */
export function parseLogFormat(value: string | undefined): LogFormat | undefined {
  return value === "text" || value === "json" ? value : undefined;
}
