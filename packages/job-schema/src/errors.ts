/**
 * Every code a {@link TqError} can carry. Callers branch on `code`, never on message text.
 */
export type TqErrorCode =
  /** Redis could not be reached, or the connection dropped while a command was in flight. */
  | "CONNECTION"
  /** Arguments or options failed validation (a task contract's schema, or tq's own option checks). */
  | "VALIDATION"
  /** The encoded job is larger than `maxPayloadBytes`. */
  | "PAYLOAD_TOO_LARGE"
  /** A stored job record could not be decoded (not JSON, wrong shape, unknown schema version). */
  | "DECODE"
  /** No handler is registered for the job's task. */
  | "UNKNOWN_TASK"
  /** Something did not finish in time: a handler run past `timeoutMs`, or `waitForResult` gave up. */
  | "TIMEOUT"
  /** The job ended in `failed`; `cause` holds the recorded error. */
  | "JOB_FAILED"
  /** The worker's lease on the job expired or was taken over; its result was not recorded. */
  | "LEASE_LOST"
  /** No job with that id exists (it may have been removed by retention). */
  | "NOT_FOUND"
  /** The object was closed; create a new one. */
  | "CLOSED"
  /** Redis refused a write (for example `maxmemory` reached); nothing was applied. */
  | "REDIS"
  /** A handler threw or rejected. */
  | "HANDLER"
  /** The operation does not apply to the job in its current state (for example cancelling an active job). */
  | "INVALID_STATE"
  /** The queue holds `maxPending` jobs waiting to run; nothing was enqueued. */
  | "QUEUE_FULL"
  /** Redis refused a command under its ACL (`NOPERM`): the connection's user may not touch that key or command. */
  | "NOPERM";

// Every code once, checked against the union by the compiler: a code added above must be added here too.
const CODES = {
  CONNECTION: true,
  VALIDATION: true,
  PAYLOAD_TOO_LARGE: true,
  DECODE: true,
  UNKNOWN_TASK: true,
  TIMEOUT: true,
  JOB_FAILED: true,
  LEASE_LOST: true,
  NOT_FOUND: true,
  CLOSED: true,
  REDIS: true,
  HANDLER: true,
  INVALID_STATE: true,
  QUEUE_FULL: true,
  NOPERM: true,
} as const satisfies Record<TqErrorCode, true>;

/** Every {@link TqErrorCode}. */
export const TQ_ERROR_CODES: readonly TqErrorCode[] = Object.keys(CODES) as TqErrorCode[];

/** Whether `value` is one of the {@link TqErrorCode}s (for codes read back from Redis or received over IPC). */
export function isTqErrorCode(value: unknown): value is TqErrorCode {
  return typeof value === "string" && Object.hasOwn(CODES, value);
}

/** Options accepted by the {@link TqError} constructor. */
export interface TqErrorOptions {
  /** The error this one wraps (a driver error, a validation issue list, the job's recorded error). */
  cause?: unknown;
  /** Whether running the job again might succeed. Only meaningful for errors thrown by handlers. */
  retryable?: boolean;
}

/**
 * The one error class tq throws. `code` says what kind of failure it is; the message says what happened, to what,
 * and what to do about it.
 *
 * @example
 * ```ts
 * try { await queue.enqueue(sendEmail, ["not-an-email", "Hi"]); }
 * catch (e) { if (isTqError(e) && e.code === "VALIDATION") console.error(e.message); }
 * ```
 */
export class TqError extends Error {
  override readonly name: "TqError" | "UnrecoverableError" = "TqError";
  readonly code: TqErrorCode;
  readonly retryable: boolean | undefined;

  constructor(code: TqErrorCode, message: string, options: TqErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.retryable = options.retryable;
  }
}

/**
 * Throw this from a handler to fail the job at once, without the retries it has left.
 * Any error with `retryable: false` has the same effect.
 */
export class UnrecoverableError extends TqError {
  override readonly name = "UnrecoverableError" as const;

  constructor(message: string, options: { cause?: unknown } = {}) {
    super("HANDLER", message, { ...options, retryable: false });
  }
}

const TQ_ERROR_NAMES = new Set(["TqError", "UnrecoverableError"]);

/**
 * Recognises a {@link TqError}, also one created by another copy of this package (an ESM and a CJS copy loaded
 * side by side make `instanceof` unreliable).
 */
export function isTqError(value: unknown): value is TqError {
  if (value instanceof TqError) return true;
  if (typeof value !== "object" || value === null) return false;
  const candidate = value as { name?: unknown; code?: unknown };
  return (
    typeof candidate.name === "string" &&
    TQ_ERROR_NAMES.has(candidate.name) &&
    typeof candidate.code === "string"
  );
}
