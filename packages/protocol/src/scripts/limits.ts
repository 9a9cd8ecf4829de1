import type { QueueKeys } from "../keys.js";
import { holdClaims as holdLua, setLimits as setLua } from "../lua/scripts.generated.js";
import { defineScript } from "../script.js";
import { groupKeyList } from "./key-lists.js";

/** A queue's rate limit: at most `max` job starts in any interval of `durationMs`, across every worker. */
export interface RateLimit {
  max: number;
  durationMs: number;
}

/** What `setLimits` changes; a `null` clears that setting, an absent one is left alone. */
export interface LimitsInput {
  rateLimit?: RateLimit | null;
  concurrency?: number | null;
  /** At most this many jobs of one group active at once. */
  groupConcurrency?: number | null;
  /** At most `max` starts of one group in any interval of `durationMs`. */
  groupRateLimit?: RateLimit | null;
}

/** The meta fields of a rate limit, as setLimits takes them (empty values clear them). */
function rateFields(into: string[], max: string, ms: string, limit: RateLimit | null): void {
  into.push(max, limit ? String(limit.max) : "", ms, limit ? String(limit.durationMs) : "");
}

/**
 * `setLimits-5.lua`: sets or clears the rate limit, the global concurrency and the group limits, and wakes one idle
 * worker. A change of the group limits places the waiting groups again (bounded per call).
 */
export const setLimits = defineScript<QueueKeys, LimitsInput, void>(setLua, {
  keys: (k) => [k.meta, k.marker, ...groupKeyList(k)],
  args({ rateLimit, concurrency, groupConcurrency, groupRateLimit }) {
    const args: string[] = [];
    if (rateLimit !== undefined) rateFields(args, "rlMax", "rlMs", rateLimit);
    if (concurrency !== undefined) args.push("conc", concurrency === null ? "" : String(concurrency));
    if (groupConcurrency !== undefined) {
      args.push("gconc", groupConcurrency === null ? "" : String(groupConcurrency));
    }
    if (groupRateLimit !== undefined) rateFields(args, "grlMax", "grlMs", groupRateLimit);
    return args;
  },
  parseReply: () => undefined,
});

/** `holdClaims-1.lua`: holds every claim of the queue for `ms` (Redis clock). Returns when the hold ends (epoch ms). */
export const holdClaims = defineScript<QueueKeys, { ms: number }, number>(holdLua, {
  keys: (k) => [k.meta],
  args: ({ ms }) => [String(Math.max(1, Math.round(ms)))],
  parseReply: (raw) => Number(raw),
});
