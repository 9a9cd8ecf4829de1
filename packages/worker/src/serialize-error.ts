import type { JobError } from "@tq/client";

/** The longest error `name` stored, in characters; longer ones are cut and marked. */
const MAX_ERROR_NAME = 200;
/** The longest error `code` stored, in characters. */
const MAX_ERROR_CODE = 100;
/** The longest error `message` stored, in characters. */
const MAX_ERROR_MESSAGE = 2_000;
/** The longest error `stack` stored, in characters. */
const MAX_ERROR_STACK = 4_000;

/** Cuts `text` to `max` characters, saying how much was cut, so a stored field never looks complete when it is not. */
export function truncate(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max)}… [${text.length - max} more characters]` : text;
}

/** Reads a property without letting a throwing getter or Proxy trap escape. */
function read(value: object, key: string): unknown {
  try {
    return (value as Record<string, unknown>)[key];
  } catch {
    return undefined;
  }
}

/** Whether `value` is an Error, without letting a Proxy's `getPrototypeOf` trap throw. */
function isError(value: unknown): value is Error {
  try {
    return value instanceof Error;
  } catch {
    return false;
  }
}

/**
 * A thrown value as text, whatever it is: a string as is, else its JSON, else `String(value)`, else its type. Never
 * throws (`Object.create(null)`, a BigInt, a circular object, a Proxy whose traps throw).
 */
export function describeThrown(value: unknown): string {
  if (typeof value === "string") return value;
  try {
    const json = JSON.stringify(value);
    if (typeof json === "string") return json;
  } catch {
    // a cycle, a BigInt, a throwing getter or toJSON: try plainer forms
  }
  try {
    return String(value);
  } catch {
    // no toString (Object.create(null)) or one that throws
  }
  try {
    return Object.prototype.toString.call(value);
  } catch {
    return `[${typeof value}]`;
  }
}

/** A thrown value's message for a log line or an IPC message: its `message` if that is a string, else as described. */
export function thrownMessage(value: unknown): string {
  const message = typeof value === "object" && value !== null ? read(value, "message") : undefined;
  return typeof message === "string" ? message : describeThrown(value);
}

/**
 * Any thrown value as an `Error`: an Error is returned as is, anything else is wrapped with a message describing
 * it. Never throws.
 */
export function toError(value: unknown): Error {
  if (isError(value)) return value;
  return new Error(`non-Error thrown: ${truncate(describeThrown(value), MAX_ERROR_MESSAGE)}`);
}

/**
 * The JSON form of a run's error, as stored in the job's `error` and `errors`. Total: any value (an Error with a
 * non-string `message` or `stack`, throwing getters, a Proxy, a non-Error) gives a record with capped fields.
 */
export function serializeError(error: unknown, attempt: number): JobError {
  if (!isError(error)) {
    return {
      name: "Error",
      message: truncate(`non-Error thrown: ${describeThrown(error)}`, MAX_ERROR_MESSAGE),
      attempt,
    };
  }
  const name = read(error, "name");
  const message = read(error, "message");
  const out: JobError = {
    name: typeof name === "string" && name !== "" ? truncate(name, MAX_ERROR_NAME) : "Error",
    message: truncate(
      typeof message === "string" ? message : message === undefined ? "" : describeThrown(message),
      MAX_ERROR_MESSAGE,
    ),
    attempt,
  };
  const stack = read(error, "stack");
  if (typeof stack === "string" && stack !== "") out.stack = truncate(stack, MAX_ERROR_STACK);
  const code = read(error, "code");
  if (typeof code === "string") out.code = truncate(code, MAX_ERROR_CODE);
  return out;
}

/** Whether a thrown value asks for no more retries (`UnrecoverableError`, or any error with `retryable: false`). */
export function isUnrecoverable(error: unknown): boolean {
  if (typeof error !== "object" || error === null) return false;
  return read(error, "retryable") === false || read(error, "name") === "UnrecoverableError";
}
