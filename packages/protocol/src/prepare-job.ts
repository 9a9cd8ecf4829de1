import { randomUUID } from "node:crypto";
import {
  isTask,
  isValidTaskName,
  JOB_SCHEMA_VERSION,
  type JobOptions,
  quote,
  type ResolvedJobOptions,
  resolveJobOptions,
  storedJobOptions,
  type Task,
  TqError,
  validateWithSchema,
} from "@tq/job-schema";
import { ENQUEUE_ARGS_PER_JOB } from "./constants.js";
import { encodeJobRecord, type RecordEnvelope } from "./record.js";
import type { TraceCarrier } from "./tracing.js";

/** A job ready for the enqueue script. */
export interface PreparedJob {
  id: string;
  task: string;
  /**
   * The enqueue script's ARGV for this job ({@link ENQUEUE_ARGS_PER_JOB} values): id, v, task, args, opts,
   * createdAt, pri, maxr, delayMs, runAtMs, dedupe (see {@link dedupeArg}), group ("" for none).
   */
  argv: string[];
}

/**
 * The task name of a name or a contract: 1–200 characters without control characters (a newline in a name would
 * forge log lines). Throws `VALIDATION` for anything else.
 */
export function taskName(task: string | Task): string {
  const name = typeof task === "string" ? task : task?.name;
  if (!isValidTaskName(name)) {
    throw new TqError(
      "VALIDATION",
      `task must be a name of 1-200 characters without control characters, or a defineTask() contract; got ${
        typeof name === "string" ? quote(name) : typeof task
      }`,
    );
  }
  return name;
}

/** Validates args against a task contract's schema; a plain task name passes. Throws `VALIDATION`. */
export async function validateArgs(task: string | Task, args: unknown, context: string): Promise<void> {
  if (isTask(task) && task.args) await validateWithSchema(task.args, args, "args", context);
}

/**
 * Checks a job's options (a contract's defaults under the given ones), encodes its record and returns the enqueue
 * script's arguments. `trace` is the enqueue's trace context, stored with the job (see `tqTracer`). Throws
 * `VALIDATION` or `PAYLOAD_TOO_LARGE`; nothing reaches Redis.
 */
export function prepareJob(
  task: string | Task,
  args: unknown,
  opts: JobOptions | undefined,
  maxPayloadBytes: number,
  trace?: TraceCarrier,
): PreparedJob {
  const name = taskName(task);
  const resolved = resolveJobOptions(isTask(task) ? { ...task.defaults, ...opts } : opts);
  const id = resolved.jobId ?? randomUUID();
  const envelope: RecordEnvelope = {
    v: JOB_SCHEMA_VERSION,
    id,
    task: name,
    args: args === undefined ? [] : args,
    opts: storedJobOptions(resolved),
    createdAt: Date.now(),
  };
  if (trace !== undefined) envelope.trace = trace;
  const record = encodeJobRecord(envelope, maxPayloadBytes);
  return {
    id,
    task: name,
    argv: [
      id,
      record.v,
      record.task,
      record.args,
      record.opts,
      record.createdAt,
      record.pri,
      record.maxr,
      String(resolved.delayMs),
      String(resolved.runAt ?? 0),
      dedupeArg(resolved.dedupe),
      resolved.group ?? "",
    ],
  };
}

/**
 * The enqueue script's dedupe value of a job: `""` for none, else `"<t|d> <ttlMs> <maxDelayMs> <key>"` (t throttle,
 * d debounce; maxDelayMs 0 for none). Keys never contain whitespace, so the key is the rest of the value.
 */
export function dedupeArg(dedupe: ResolvedJobOptions["dedupe"]): string {
  if (!dedupe) return "";
  return `${dedupe.mode === "debounce" ? "d" : "t"} ${dedupe.ttlMs} ${dedupe.maxDelayMs} ${dedupe.key}`;
}
