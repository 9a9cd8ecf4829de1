import { TqError } from "./errors.js";
import type { StandardSchemaV1 } from "./standard-schema.js";

function formatPath(path: StandardSchemaV1.Issue["path"]): string {
  if (!path || path.length === 0) return "";
  return path
    .map((segment) => {
      const key = typeof segment === "object" && segment !== null ? segment.key : segment;
      return typeof key === "number" ? `[${key}]` : `.${String(key)}`;
    })
    .join("");
}

/** Formats Standard Schema issues as `args[0]: Invalid email; args[1]: Required`. */
export function formatIssues(what: string, issues: ReadonlyArray<StandardSchemaV1.Issue>): string {
  return issues.map((issue) => `${what}${formatPath(issue.path)}: ${issue.message}`).join("; ");
}

/**
 * Validates `value` with any Standard Schema v1 validator and returns its output.
 * Throws a {@link TqError} with code `"VALIDATION"` listing every issue; `context` names the thing validated
 * (for example `task "send_email"`).
 */
export async function validateWithSchema<S extends StandardSchemaV1>(
  schema: S,
  value: unknown,
  what: string,
  context: string,
): Promise<StandardSchemaV1.InferOutput<S>> {
  let result = schema["~standard"].validate(value);
  if (result instanceof Promise) result = await result;
  if (result.issues) {
    throw new TqError("VALIDATION", `Invalid ${what} for ${context}: ${formatIssues(what, result.issues)}`, {
      cause: result.issues,
      retryable: false,
    });
  }
  return result.value as StandardSchemaV1.InferOutput<S>;
}
