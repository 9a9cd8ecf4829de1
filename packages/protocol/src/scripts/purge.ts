import { TqError } from "@tq/job-schema";
import type { QueueKeys } from "../keys.js";
import { purge as lua } from "../lua/scripts.generated.js";
import { defineScript } from "../script.js";

/** The most jobs one `purge` call removes: Redis serves nobody else while the script runs. */
export const PURGE_MAX_PER_CALL = 1000;

/** A call of the `purge` script: which finished state, and how many jobs at most (1-{@link PURGE_MAX_PER_CALL}). */
export interface PurgeInput {
  status: "completed" | "failed";
  /** How many jobs this call removes at most, oldest first. @defaultValue 1000 */
  limit?: number;
}

/** The `purge` script's reply, parsed. */
export interface PurgeResult {
  /** How many ids left the set in this call. */
  removed: number;
  /** How many the set still holds: call again until it is 0. */
  remaining: number;
}

function limitOf(input: PurgeInput): number {
  const limit = input.limit ?? PURGE_MAX_PER_CALL;
  if (!Number.isInteger(limit) || limit < 1 || limit > PURGE_MAX_PER_CALL) {
    throw new TqError(
      "VALIDATION",
      `purge: limit must be an integer from 1 to ${PURGE_MAX_PER_CALL}, got ${limit}`,
    );
  }
  return limit;
}

function setOf(k: QueueKeys, input: PurgeInput): string {
  if (input.status === "completed") return k.completed;
  if (input.status === "failed") return k.failed;
  throw new TqError(
    "VALIDATION",
    `purge: status must be "completed" or "failed", got ${String(input.status)}`,
  );
}

/**
 * `purge-2.lua`: removes up to `limit` completed (or failed) jobs, oldest first, with their records; bounded per
 * call, so loop until `remaining` is 0 to empty the set.
 */
export const purge = defineScript<QueueKeys, PurgeInput, PurgeResult>(lua, {
  keys: (k, input) => [k.events, setOf(k, input)],
  args: (input) => [String(limitOf(input)), input.status],
  parseReply: (raw) => {
    const [removed, remaining] = raw as [unknown, unknown];
    return { removed: Number(removed), remaining: Number(remaining) };
  },
});
