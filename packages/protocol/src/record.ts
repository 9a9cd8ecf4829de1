import {
  decodeError,
  exceedsBytes,
  JOB_SCHEMA_VERSION,
  type JobEnvelope,
  PRIORITIES,
  type Priority,
  type StoredJobOptions,
  TqError,
} from "@tq/job-schema";
import type { TraceCarrier } from "./tracing.js";

/**
 * A job's envelope as a record carries it: the envelope, and the trace context of the enqueue that made the job
 * (stored in the `opts` field under the reserved key `tc`; never a job option, and not part of `JobInfo`).
 */
export interface RecordEnvelope<Args = unknown> extends JobEnvelope<Args> {
  trace?: TraceCarrier;
}

/** The trace context in a decoded `opts` field: an object of strings, else none (a bad one never fails a job). */
function readTrace(value: unknown): TraceCarrier | undefined {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return undefined;
  const trace: TraceCarrier = {};
  let any = false;
  for (const [key, field] of Object.entries(value)) {
    if (typeof field !== "string") return undefined;
    trace[key] = field;
    any = true;
  }
  return any ? trace : undefined;
}

/**
 * A job's envelope as the fields of its Redis hash. Each field is stored on its own, so a job with small args keeps
 * every field short and Redis stores the whole hash in its compact encoding.
 */
export interface JobRecord {
  /** The schema version, as a string. */
  v: string;
  task: string;
  /** The args as JSON. */
  args: string;
  /**
   * Options other than priority and maxRetries (backoff, timeoutMs) and the trace context (`tc`) as JSON, or ""
   * when there are none.
   */
  opts: string;
  /** Epoch ms (producer clock). */
  createdAt: string;
  pri: Priority;
  /** maxRetries. */
  maxr: string;
}

/** The hash fields of a {@link JobRecord}, in the order {@link decodeJobRecord} reads them. */
export const JOB_RECORD_FIELDS = ["v", "task", "args", "opts", "createdAt", "pri", "maxr"] as const;

/**
 * Encodes an envelope as the fields of its job hash. Throws `PAYLOAD_TOO_LARGE` when the record exceeds `maxBytes`
 * and `VALIDATION` when the args are not JSON (a cycle, a BigInt).
 */
export function encodeJobRecord(envelope: RecordEnvelope, maxBytes: number): JobRecord {
  let args: string | undefined;
  try {
    args = JSON.stringify(envelope.args);
  } catch (cause) {
    throw new TqError(
      "VALIDATION",
      `args of task "${envelope.task}" are not JSON-serialisable: ${(cause as Error).message}`,
      { cause },
    );
  }
  if (args === undefined) args = "null";
  const { backoff, timeoutMs } = envelope.opts;
  const { trace } = envelope;
  const extra: Partial<StoredJobOptions> & { tc?: TraceCarrier } = {};
  if (backoff !== undefined) extra.backoff = backoff;
  if (timeoutMs !== undefined) extra.timeoutMs = timeoutMs;
  if (trace !== undefined) extra.tc = trace;
  const opts =
    backoff === undefined && timeoutMs === undefined && trace === undefined ? "" : JSON.stringify(extra);
  const size = exceedsBytes(args + opts + envelope.task + envelope.id, maxBytes);
  if (size !== false) {
    throw new TqError(
      "PAYLOAD_TOO_LARGE",
      `job for task "${envelope.task}" is ${size} bytes encoded, over the ${maxBytes}-byte cap (maxPayloadBytes); ` +
        "store large data elsewhere and pass a reference",
    );
  }
  return {
    v: String(envelope.v),
    task: envelope.task,
    args,
    opts,
    createdAt: String(envelope.createdAt),
    pri: envelope.opts.priority,
    maxr: String(envelope.opts.maxRetries),
  };
}

/**
 * Decodes the fields of a job hash (values in {@link JOB_RECORD_FIELDS} order, `null` for a missing field) into its
 * envelope. Throws a `DECODE` {@link TqError} saying exactly what is wrong.
 */
export function decodeJobRecord(
  id: string,
  values: ReadonlyArray<string | null | undefined>,
  maxBytes: number = Number.POSITIVE_INFINITY,
): RecordEnvelope {
  const [v, task, args, opts, createdAt, pri, maxr] = values;
  if (v === null || v === undefined) {
    if (task === null || task === undefined)
      throw decodeError(`job "${id}" has no envelope fields (v, task, args)`);
    throw decodeError(`job "${id}" has no schema version (field "v")`);
  }
  if (Number(v) !== JOB_SCHEMA_VERSION) {
    throw decodeError(
      `schema version ${v} is not supported (this worker reads version ${JOB_SCHEMA_VERSION}); ` +
        "upgrade the worker or re-enqueue the job",
    );
  }
  if (typeof task !== "string" || task === "") throw decodeError(`field "task" must be a non-empty string`);
  if (typeof args !== "string") throw decodeError(`field "args" is missing`);
  const size = exceedsBytes(args, maxBytes);
  if (size !== false) throw decodeError(`args are ${size} bytes, over the ${maxBytes}-byte cap`);
  let parsedArgs: unknown;
  try {
    parsedArgs = JSON.parse(args);
  } catch (cause) {
    const preview = args.length > 60 ? `${args.slice(0, 60)}…` : args;
    throw decodeError(
      `args are not valid JSON (${(cause as Error).message}): ${JSON.stringify(preview)}`,
      cause,
    );
  }
  let extra: Partial<StoredJobOptions> & { tc?: unknown } = {};
  if (typeof opts === "string" && opts !== "") {
    try {
      extra = JSON.parse(opts) as Partial<StoredJobOptions> & { tc?: unknown };
    } catch (cause) {
      throw decodeError(`field "opts" is not valid JSON (${(cause as Error).message})`, cause);
    }
    if (typeof extra !== "object" || extra === null) throw decodeError(`field "opts" must be a JSON object`);
    if (
      extra.backoff !== undefined &&
      (typeof extra.backoff !== "object" || typeof extra.backoff?.delayMs !== "number")
    ) {
      throw decodeError(`field "opts.backoff" is not a backoff`);
    }
    if (extra.timeoutMs !== undefined && typeof extra.timeoutMs !== "number") {
      throw decodeError(`field "opts.timeoutMs" must be a number`);
    }
  }
  const priority = (pri ?? "normal") as Priority;
  if (!PRIORITIES.includes(priority))
    throw decodeError(`field "pri" is not a priority: ${JSON.stringify(pri)}`);
  const maxRetries = Number(maxr ?? 0);
  if (!Number.isInteger(maxRetries) || maxRetries < 0)
    throw decodeError(`field "maxr" must be an integer >= 0`);
  const stored: StoredJobOptions = { priority, maxRetries };
  if (extra.backoff !== undefined) stored.backoff = extra.backoff;
  if (extra.timeoutMs !== undefined) stored.timeoutMs = extra.timeoutMs;
  const envelope: RecordEnvelope = {
    v: JOB_SCHEMA_VERSION,
    id,
    task,
    args: parsedArgs,
    opts: stored,
    createdAt: Number(createdAt ?? 0) || 0,
  };
  const trace = extra.tc === undefined ? undefined : readTrace(extra.tc);
  if (trace !== undefined) envelope.trace = trace;
  return envelope;
}
