import type { JobError } from "@tq/client";

const MAX_STACK = 4_000;
const MAX_MESSAGE = 2_000;

/** The JSON form of a run's error, as stored in the job's `error` and `errors`. */
export function serializeError(error: unknown, attempt: number): JobError {
  if (error instanceof Error) {
    const out: JobError = {
      name: error.name,
      message: error.message.length > MAX_MESSAGE ? `${error.message.slice(0, MAX_MESSAGE)}…` : error.message,
      attempt,
    };
    if (error.stack) out.stack = error.stack.slice(0, MAX_STACK);
    const code = (error as { code?: unknown }).code;
    if (typeof code === "string") out.code = code;
    return out;
  }
  let message: string;
  try {
    message = typeof error === "string" ? error : JSON.stringify(error);
  } catch {
    message = String(error);
  }
  return { name: "Error", message: `non-Error thrown: ${String(message).slice(0, MAX_MESSAGE)}`, attempt };
}

/** Whether a thrown value asks for no more retries (`UnrecoverableError`, or any error with `retryable: false`). */
export function isUnrecoverable(error: unknown): boolean {
  if (typeof error !== "object" || error === null) return false;
  const e = error as { name?: unknown; retryable?: unknown };
  return e.retryable === false || e.name === "UnrecoverableError";
}
