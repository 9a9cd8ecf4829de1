import { isTqErrorCode, type TqErrorCode } from "@tq/job-schema";
import type { RedisClientOptions } from "redis";
import type { ResolvedWorkerOptions } from "./worker-options.js";

// The messages a WorkerPool supervisor and its child processes exchange over the IPC channel of `fork()`.
// Runs are sent as flat arrays of strings (id, token, id, token, ...): one message per claimed batch, not per job.

/** How often a child tells the supervisor that its event loop turns, in milliseconds. */
export const HEARTBEAT_MS = 1_000;

/**
 * The worker options a child runs its Worker with, as the pool resolved them (`resolveWorkerOptions`), with the
 * connection a child can receive (a URL or plain client options) and without the logger (a child's handlers log to
 * `console`). Plain data: it crosses the IPC channel intact.
 */
export interface ChildWorkerOptions extends Omit<ResolvedWorkerOptions, "connection" | "logger"> {
  /** A Redis URL or plain client options (no functions, no client objects). */
  connection: string | RedisClientOptions;
}

/** What a child needs to run its Worker; sent once, in the `start` message. */
export interface ChildConfig {
  /** The resolved options of its Worker, with this child's own `workerId`. */
  worker: ChildWorkerOptions;
  /** The handlers module, as a URL (`file:`, or any URL `import()` accepts). */
  moduleUrl: string;
  /** The supervisor's pid: the child shuts down when its parent changes (the supervisor died). */
  supervisorPid: number;
  /** Whether the child keeps the wait and run time histograms (`@tq/metrics`) for the pool's `/metrics`. */
  metrics: boolean;
}

/**
 * Supervisor → child. `start` carries the channel key the child must put in every message it sends back (`k`), so
 * that a handler's own `process.send()` of a look-alike message cannot pass for the pool's.
 */
export type ToChild =
  /** Start consuming with this config. */
  | { t: "start"; config: ChildConfig; key: string }
  /** Stop claiming, let running jobs finish within `timeoutMs`, hand back the rest, then exit 0. */
  | { t: "close"; timeoutMs: number }
  /** Send the histograms (`getMetricsAsJSON()` of the child's registry) in a `metrics` reply carrying `n`. */
  | { t: "metrics"; n: number };

/** Child → supervisor, before the channel key is added (see {@link FromChild}). */
export type ChildMessage =
  /** The Worker is consuming. */
  | { t: "ready" }
  /** Jobs were claimed, before any of their handlers runs: `runs` is id, token, id, token, ... */
  | { t: "claimed"; runs: string[] }
  /** A handler with a `timeoutMs` is starting (only such runs are reported: the supervisor enforces the timeout). */
  | { t: "active"; id: string; token: string; task: string; timeoutMs: number; retryDelayMs: number }
  /** Runs this process no longer runs (outcome recorded, lease lost, or handed back): id, token, id, token, ... */
  | { t: "ended"; runs: string[] }
  /**
   * Runs with a `timeoutMs` whose outcome this process has decided (their handler settled, or the Worker's own
   * timeout failed them): `runs` is id, token, ... Their ack may still be on its way; the hard timeout no longer
   * applies to them.
   */
  | { t: "settled"; runs: string[] }
  /**
   * The child cannot start (handlers module, Redis); it exits with code 1 right after. A `code` that is not a
   * {@link TqErrorCode} is read as `HANDLER`.
   */
  | { t: "fatal"; code: TqErrorCode; message: string }
  /** The child closed its Worker cleanly (every unfinished run handed back) and is about to exit 0. */
  | { t: "closed" }
  /**
   * A heartbeat, every `HEARTBEAT_MS`: the child's event loop turns, and whether its Worker is consuming
   * (`worker.health().consuming`), for the pool's `/healthz`.
   */
  | { t: "alive"; consuming: boolean }
  /** The reply to a `metrics` request `n`: prom-client's `getMetricsAsJSON()` of the child's histograms. */
  | { t: "metrics"; n: number; metrics: Array<Record<string, unknown>> };

/** Child → supervisor, as sent: every message carries the channel key of its child in `k`. */
export type FromChild = ChildMessage & { k: string };

/** The longest `fatal` message the supervisor keeps, in characters (the rest is cut). */
const MAX_FATAL_MESSAGE = 4_000;

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function isString(value: unknown): value is string {
  return typeof value === "string";
}

/** An id, token, id, token, ... list: an array of an even number of non-empty strings. */
function isRunList(value: unknown): value is string[] {
  if (!Array.isArray(value) || value.length % 2 !== 0) return false;
  for (const item of value) if (typeof item !== "string" || item.length === 0) return false;
  return true;
}

function isFiniteNumber(value: unknown): value is number {
  return typeof value === "number" && Number.isFinite(value);
}

/**
 * The pool message in a value a child sent over IPC, checked field by field, or `undefined` when it is not one: not
 * an object, an unknown `t`, a field of the wrong type, or a channel key other than `key`. The supervisor acts only on
 * what this returns, so a handler that calls `process.send()` itself can neither crash it nor forge run accounting.
 */
export function parseFromChild(value: unknown, key: string): ChildMessage | undefined {
  if (!isRecord(value) || value.k !== key) return undefined;
  switch (value.t) {
    case "ready":
    case "closed":
      return { t: value.t };
    case "alive":
      return typeof value.consuming === "boolean" ? { t: "alive", consuming: value.consuming } : undefined;
    case "metrics": {
      const { n, metrics } = value;
      if (!Number.isInteger(n) || !Array.isArray(metrics) || !metrics.every(isMetricJson)) return undefined;
      return { t: "metrics", n: n as number, metrics };
    }
    case "claimed":
    case "settled":
    case "ended":
      return isRunList(value.runs) ? { t: value.t, runs: value.runs } : undefined;
    case "active": {
      const { id, token, task, timeoutMs, retryDelayMs } = value;
      if (!isString(id) || !isString(token) || !isString(task)) return undefined;
      if (!isFiniteNumber(timeoutMs) || timeoutMs < 0 || !isFiniteNumber(retryDelayMs)) return undefined;
      return { t: "active", id, token, task, timeoutMs, retryDelayMs };
    }
    case "fatal":
      if (!isString(value.code) || !isString(value.message)) return undefined;
      return {
        t: "fatal",
        code: isTqErrorCode(value.code) ? value.code : "HANDLER",
        message: value.message.slice(0, MAX_FATAL_MESSAGE),
      };
    default:
      return undefined;
  }
}

/** One metric of prom-client's `getMetricsAsJSON()`: a name, a type and a list of values. */
function isMetricJson(value: unknown): value is Record<string, unknown> {
  return isRecord(value) && isString(value.name) && isString(value.type) && Array.isArray(value.values);
}

function isNonEmptyString(value: unknown): value is string {
  return typeof value === "string" && value.length > 0;
}

function isCount(value: unknown): value is number {
  return Number.isInteger(value) && (value as number) >= 1;
}

function isMs(value: unknown): value is number {
  return isFiniteNumber(value) && value >= 0;
}

/**
 * How each field of {@link ChildWorkerOptions} is checked on arrival. Its type lists every field, so a new worker
 * option cannot reach the child unchecked. The values themselves were checked by `resolveWorkerOptions` in the
 * supervisor, and are again by the child's Worker; this only makes sure they arrived as what they claim to be.
 */
const WORKER_FIELDS: { [K in keyof ChildWorkerOptions]-?: (value: unknown) => boolean } = {
  queue: isNonEmptyString,
  prefix: isNonEmptyString,
  workerId: isNonEmptyString,
  connection: (value) => isNonEmptyString(value) || isRecord(value),
  concurrency: isCount,
  leaseMs: isMs,
  shutdownTimeoutMs: isMs,
  maxBlockMs: isMs,
  maxPayloadBytes: isCount,
  maxResultBytes: isCount,
  maxProgressBytes: isCount,
  retention: (value) => value === undefined || isRecord(value),
};

/** The config of a `start` message, checked field by field, or `undefined` when any field is missing or wrong. */
function parseChildConfig(value: unknown): ChildConfig | undefined {
  if (!isRecord(value) || !isNonEmptyString(value.moduleUrl) || !Number.isInteger(value.supervisorPid)) {
    return undefined;
  }
  const received = value.worker;
  if (!isRecord(received)) return undefined;
  const worker: Record<string, unknown> = {};
  for (const [field, check] of Object.entries(WORKER_FIELDS)) {
    if (!check(received[field])) return undefined;
    worker[field] = received[field];
  }
  if (value.metrics !== undefined && typeof value.metrics !== "boolean") return undefined;
  return {
    worker: worker as unknown as ChildWorkerOptions,
    moduleUrl: value.moduleUrl,
    supervisorPid: value.supervisorPid as number,
    metrics: value.metrics === true,
  };
}

/** The message in a value the supervisor sent, checked like {@link parseFromChild}, or `undefined`. */
export function parseToChild(value: unknown): ToChild | undefined {
  if (!isRecord(value)) return undefined;
  if (value.t === "start" && isNonEmptyString(value.key)) {
    const config = parseChildConfig(value.config);
    return config ? { t: "start", config, key: value.key } : undefined;
  }
  if (value.t === "close" && isFiniteNumber(value.timeoutMs) && value.timeoutMs >= 0) {
    return { t: "close", timeoutMs: value.timeoutMs };
  }
  if (value.t === "metrics" && Number.isInteger(value.n)) return { t: "metrics", n: value.n as number };
  return undefined;
}

/**
 * A short, quoted description of a value that is not a pool message, for a log line: its type, and for an object
 * its `t` and first keys; never the whole value (it may be huge).
 */
export function describeForeignMessage(value: unknown): string {
  if (typeof value === "string") return `a string (${value.length} characters)`;
  if (value === null || typeof value !== "object") return String(value).slice(0, 40);
  if (Array.isArray(value)) return `an array of ${value.length}`;
  const keys = Object.keys(value);
  const t = (value as { t?: unknown }).t;
  const shown = keys.slice(0, 8).join(", ") + (keys.length > 8 ? ", ..." : "");
  return `an object${typeof t === "string" ? ` with t ${t.slice(0, 40)}` : ""} and keys ${shown || "none"}`;
}
