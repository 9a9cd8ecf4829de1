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
  maxBlockMs: number | undefined;
  retention: RetentionOptions | undefined;
  /** The id the child's Worker tags its claims with (one per child process). */
  workerId?: string;
  /** The supervisor's pid: the child shuts down when its parent changes (the supervisor died). */
  supervisorPid: number;
}

/** Supervisor → child. */
export type ToChild =
  /** Start consuming with this config. */
  | { t: "start"; config: ChildConfig }
  /** Stop claiming, let running jobs finish within `timeoutMs`, hand back the rest, then exit 0. */
  | { t: "close"; timeoutMs: number };

/** Child → supervisor. */
export type FromChild =
  /** The Worker is consuming. */
  | { t: "ready" }
  /** Jobs were claimed, before any of their handlers runs: `runs` is id, token, id, token, ... */
  | { t: "claimed"; runs: string[] }
  /** A handler with a `timeoutMs` is starting (only such runs are reported: the supervisor enforces the timeout). */
  | { t: "active"; id: string; token: string; task: string; timeoutMs: number; retryDelayMs: number }
  /** Runs this process no longer runs (outcome recorded, lease lost, or handed back): id, token, id, token, ... */
  | { t: "ended"; runs: string[] }
  /** The child cannot start (handlers module, Redis); it exits with code 1 right after. */
  | { t: "fatal"; code: string; message: string }
  /** The child closed its Worker cleanly (every unfinished run handed back) and is about to exit 0. */
  | { t: "closed" }
  /** A heartbeat, every `HEARTBEAT_MS`: the child's event loop turns. */
  | { t: "alive" };

/** Whether a value received over IPC is a message of this protocol. */
export function isProtocolMessage<T extends { t: string }>(value: unknown): value is T {
  return typeof value === "object" && value !== null && typeof (value as { t?: unknown }).t === "string";
}
