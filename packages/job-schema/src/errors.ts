/**
 * Every code a {@link TqError} can carry, once. Callers branch on `code`, never on message text.
 *
 * - `CONNECTION`: Redis could not be reached, or the connection dropped while a command was in flight.
 * - `VALIDATION`: arguments or options failed validation (a task contract's schema, or tq's own option checks).
 * - `PAYLOAD_TOO_LARGE`: the encoded job is larger than `maxPayloadBytes`.
 * - `DECODE`: a stored job record could not be decoded (not JSON, wrong shape, unknown schema version).
 * - `UNKNOWN_TASK`: no handler is registered for the job's task.
 * - `TIMEOUT`: something did not finish in time: a handler run past `timeoutMs`, or `waitForResult` gave up.
 * - `JOB_FAILED`: the job ended in `failed`; `cause` holds the recorded error.
 * - `LEASE_LOST`: the worker's lease on the job expired or was taken over; its result was not recorded.
 * - `NOT_FOUND`: no job with that id exists (it may have been removed by retention).
 * - `CLOSED`: the object was closed; create a new one.
 * - `REDIS`: Redis refused a write (for example `maxmemory` reached); nothing was applied.
 * - `HANDLER`: a handler threw or rejected.
 * - `INVALID_STATE`: the operation does not apply to the job in its current state (for example cancelling a
 *   finished job).
 * - `QUEUE_FULL`: the queue holds `maxPending` jobs waiting to run; nothing was enqueued.
 * - `NOPERM`: Redis refused a command under its ACL: the connection's user may not touch that key or command.
 * - `CANCELLED`: the job was cancelled (`queue.cancel`) while it ran: the run's `ctx.signal` aborts with it and the
 *   job ends failed, without retries.
 */
export const TQ_ERROR_CODES = [
  "CONNECTION",
  "VALIDATION",
  "PAYLOAD_TOO_LARGE",
  "DECODE",
  "UNKNOWN_TASK",
  "TIMEOUT",
  "JOB_FAILED",
  "LEASE_LOST",
  "NOT_FOUND",
  "CLOSED",
  "REDIS",
  "HANDLER",
  "INVALID_STATE",
  "QUEUE_FULL",
  "NOPERM",
  "CANCELLED",
] as const;

/** One of {@link TQ_ERROR_CODES}: what kind of failure a {@link TqError} is (see the list for each code). */
export type TqErrorCode = (typeof TQ_ERROR_CODES)[number];

const CODES: ReadonlySet<string> = new Set(TQ_ERROR_CODES);

/** Whether `value` is one of the {@link TqErrorCode}s (for codes read back from Redis or received over IPC). */
export function isTqErrorCode(value: unknown): value is TqErrorCode {
  return typeof value === "string" && CODES.has(value);
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
