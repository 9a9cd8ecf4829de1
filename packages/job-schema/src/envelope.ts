import { TqError } from "./errors.js";
import type { StoredJobOptions } from "./options.js";
import { PRIORITIES } from "./priority.js";

/** The version of the job envelope this package writes and reads. Bumped on an incompatible change. */
export const JOB_SCHEMA_VERSION = 1;

/** The default cap on an encoded job, in bytes (512 KiB). */
export const DEFAULT_MAX_PAYLOAD_BYTES = 512 * 1024;

/** A JSON value: what job arguments and results may be. */
export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

/** A job as stored in Redis: everything a worker needs to run it. */
export interface JobEnvelope<Args = unknown> {
  /** The schema version ({@link JOB_SCHEMA_VERSION}). */
  v: number;
  id: string;
  task: string;
  /** Any JSON value; by convention a positional array. */
  args: Args;
  opts: StoredJobOptions;
  /** Epoch milliseconds (producer clock) when the job was created. */
  createdAt: number;
}

/**
 * The byte length of a string in UTF-8. A string of n UTF-16 units takes at most 3n bytes, so short payloads are
 * never measured.
 */
export function exceedsBytes(text: string, maxBytes: number): number | false {
  if (text.length * 3 <= maxBytes) return false;
  const bytes = Buffer.byteLength(text, "utf8");
  return bytes > maxBytes ? bytes : false;
}

/**
 * Encodes a job envelope as JSON. Throws `PAYLOAD_TOO_LARGE` when the result exceeds `maxBytes`, and
 * `VALIDATION` when the args are not JSON (a cycle, a BigInt).
 */
export function encodeJob(envelope: JobEnvelope, maxBytes: number = DEFAULT_MAX_PAYLOAD_BYTES): string {
  let text: string;
  try {
    text = JSON.stringify(envelope);
  } catch (cause) {
    throw new TqError(
      "VALIDATION",
      `args of task "${envelope.task}" are not JSON-serialisable: ${(cause as Error).message}`,
      { cause },
    );
  }
  const size = exceedsBytes(text, maxBytes);
  if (size !== false) {
    throw new TqError(
      "PAYLOAD_TOO_LARGE",
      `job for task "${envelope.task}" is ${size} bytes encoded, over the ${maxBytes}-byte cap (maxPayloadBytes); ` +
        "store large data elsewhere and pass a reference",
    );
  }
  return text;
}

/** A `DECODE` {@link TqError} for a stored job record that cannot be read: `undecodable job record: <reason>`. */
export function decodeError(reason: string, cause?: unknown): TqError {
  return new TqError("DECODE", `undecodable job record: ${reason}`, { cause, retryable: false });
}

/**
 * Decodes and checks a stored job. Throws a `DECODE` {@link TqError} saying exactly what is wrong: not JSON,
 * not an object, a missing or mistyped field, or a schema version this package does not read.
 */
export function decodeJob(text: unknown, maxBytes: number = Number.POSITIVE_INFINITY): JobEnvelope {
  if (typeof text !== "string")
    throw decodeError(`expected a JSON string, got ${text === null ? "null" : typeof text}`);
  const size = exceedsBytes(text, maxBytes);
  if (size !== false) throw decodeError(`${size} bytes, over the ${maxBytes}-byte cap`);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (cause) {
    const preview = text.length > 60 ? `${text.slice(0, 60)}…` : text;
    throw decodeError(`not valid JSON (${(cause as Error).message}): ${JSON.stringify(preview)}`, cause);
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw decodeError(`expected a JSON object, got ${Array.isArray(value) ? "an array" : typeof value}`);
  }
  const job = value as Record<string, unknown>;
  if (job.v !== JOB_SCHEMA_VERSION) {
    throw decodeError(
      `schema version ${JSON.stringify(job.v)} is not supported (this worker reads version ${JOB_SCHEMA_VERSION}); ` +
        "upgrade the worker or re-enqueue the job",
    );
  }
  if (typeof job.id !== "string" || job.id === "") throw decodeError(`field "id" must be a non-empty string`);
  if (typeof job.task !== "string" || job.task === "")
    throw decodeError(`field "task" must be a non-empty string`);
  if (!("args" in job)) throw decodeError(`field "args" is missing`);
  if (typeof job.createdAt !== "number") throw decodeError(`field "createdAt" must be a number`);
  const opts = job.opts as Record<string, unknown> | undefined;
  if (typeof opts !== "object" || opts === null) throw decodeError(`field "opts" must be an object`);
  if (!PRIORITIES.includes(opts.priority as never))
    throw decodeError(`field "opts.priority" is not a priority`);
  if (!Number.isInteger(opts.maxRetries) || (opts.maxRetries as number) < 0) {
    throw decodeError(`field "opts.maxRetries" must be an integer >= 0`);
  }
  const backoff = opts.backoff as Record<string, unknown> | undefined;
  if (
    backoff !== undefined &&
    (typeof backoff !== "object" || backoff === null || typeof backoff.delayMs !== "number")
  ) {
    throw decodeError(`field "opts.backoff" is not a backoff`);
  }
  if (opts.timeoutMs !== undefined && typeof opts.timeoutMs !== "number") {
    throw decodeError(`field "opts.timeoutMs" must be a number`);
  }
  return job as unknown as JobEnvelope;
}
