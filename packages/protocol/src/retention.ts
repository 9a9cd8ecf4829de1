import { TqError } from "@tq/job-schema";
import { DEFAULT_RETENTION } from "./constants.js";

/** How many finished jobs of one kind to keep, by count and/or age. */
export interface RetentionRule {
  /** Keep at most this many (the newest). `-1` keeps all (memory then grows without bound). */
  count?: number;
  /** Delete jobs older than this many milliseconds after they finished. `0` means no age limit. */
  ageMs?: number;
}

/**
 * How long finished jobs and their results stay in Redis. A queue-wide setting stored in Redis: the Queue or
 * Worker created with an explicit `retention` writes it, and every worker applies it as jobs finish.
 * @defaultValue `{ completed: { count: 1000 }, failed: { count: 10000 } }`
 */
export interface RetentionOptions {
  completed?: RetentionRule;
  failed?: RetentionRule;
}

function checkRule(
  rule: RetentionRule | undefined,
  name: string,
  defaults: { count: number; ageMs: number },
) {
  const count = rule?.count ?? defaults.count;
  const ageMs = rule?.ageMs ?? defaults.ageMs;
  if (!Number.isInteger(count) || count < -1) {
    throw new TqError(
      "VALIDATION",
      `retention.${name}.count must be an integer >= -1, got ${String(rule?.count)}`,
    );
  }
  if (typeof ageMs !== "number" || !Number.isFinite(ageMs) || ageMs < 0) {
    throw new TqError(
      "VALIDATION",
      `retention.${name}.ageMs must be a number of ms >= 0, got ${String(rule?.ageMs)}`,
    );
  }
  return { count, ageMs };
}

/** The meta-hash fields that store a retention setting, checked. Throws `VALIDATION`. */
export function retentionFields(retention: RetentionOptions): string[] {
  const completed = checkRule(retention.completed, "completed", DEFAULT_RETENTION.completed);
  const failed = checkRule(retention.failed, "failed", DEFAULT_RETENTION.failed);
  return [
    "keepCompleted",
    String(completed.count),
    "completedAgeMs",
    String(Math.round(completed.ageMs)),
    "keepFailed",
    String(failed.count),
    "failedAgeMs",
    String(Math.round(failed.ageMs)),
  ];
}
