import type { RetentionOptions } from "@tq/client";
import type { RedisClientOptions } from "redis";

// The messages a WorkerPool supervisor and its child processes exchange over the IPC channel of `fork()`.
// Runs are sent as flat arrays of strings (id, token, id, token, ...): one message per claimed batch, not per job.

/** How often a child tells the supervisor that its event loop turns, in milliseconds. */
export const HEARTBEAT_MS = 1_000;

/** What a child needs to run its Worker; sent once, in the `start` message. Everything here is serialisable. */
export interface ChildConfig {
  queue: string;
  /** The handlers module, as a URL (`file:`, or any URL `import()` accepts). */
  moduleUrl: string;
  /** A Redis URL or plain client options (no functions, no client objects). */
  connection: string | RedisClientOptions;
  prefix: string | undefined;
  concurrency: number;
  leaseMs: number | undefined;
  shutdownTimeoutMs: number;
  maxPayloadBytes: number | undefined;
  maxResultBytes?: number | undefined;
  maxProgressBytes?: number | undefined;
  maxBlockMs: number | undefined;
  retention: RetentionOptions | undefined;
  /** The id the child's Worker tags its claims with (one per child process). */
  workerId?: string;
  /** The supervisor's pid: the child shuts down when its parent changes (the supervisor died). */
  supervisorPid: number;
}

/**
 * Supervisor → child. `start` carries the channel key the child must put in every message it sends back (`k`), so
 * that a handler's own `process.send()` of a look-alike message cannot pass for the pool's.
 */
export type ToChild =
  /** Start consuming with this config. */
  | { t: "start"; config: ChildConfig; key: string }
  /** Stop claiming, let running jobs finish within `timeoutMs`, hand back the rest, then exit 0. */
  | { t: "close"; timeoutMs: number };

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
  /** The child cannot start (handlers module, Redis); it exits with code 1 right after. */
  | { t: "fatal"; code: string; message: string }
  /** The child closed its Worker cleanly (every unfinished run handed back) and is about to exit 0. */
  | { t: "closed" }
  /** A heartbeat, every `HEARTBEAT_MS`: the child's event loop turns. */
  | { t: "alive" };

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
    case "alive":
      return { t: value.t };
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
      return { t: "fatal", code: value.code, message: value.message.slice(0, MAX_FATAL_MESSAGE) };
    default:
      return undefined;
  }
}

/** The message in a value the supervisor sent, checked like {@link parseFromChild}, or `undefined`. */
export function parseToChild(value: unknown): ToChild | undefined {
  if (!isRecord(value)) return undefined;
  if (value.t === "start" && isRecord(value.config) && isString(value.key) && value.key.length > 0) {
    return { t: "start", config: value.config as unknown as ChildConfig, key: value.key };
  }
  if (value.t === "close" && isFiniteNumber(value.timeoutMs) && value.timeoutMs >= 0) {
    return { t: "close", timeoutMs: value.timeoutMs };
  }
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
