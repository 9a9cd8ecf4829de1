import type { QueueKeys } from "../keys.js";
import { holdClaims as holdLua, setLimits as setLua } from "../lua/scripts.generated.js";
import { defineScript } from "../script.js";

/** A queue's rate limit: at most `max` job starts in any interval of `durationMs`, across every worker. */
export interface RateLimit {
  max: number;
  durationMs: number;
}

/** What `setLimits` changes; a `null` clears that setting, an absent one is left alone. */
export interface LimitsInput {
  rateLimit?: RateLimit | null;
  concurrency?: number | null;
}

/** `setLimits-2.lua`: sets or clears the rate limit and the global concurrency, and wakes one idle worker. */
export const setLimits = defineScript<QueueKeys, LimitsInput, void>(setLua, {
  keys: (k) => [k.meta, k.marker],
  args({ rateLimit, concurrency }) {
    const args: string[] = [];
    if (rateLimit !== undefined) {
      args.push(
        "rlMax",
        rateLimit ? String(rateLimit.max) : "",
        "rlMs",
        rateLimit ? String(rateLimit.durationMs) : "",
      );
    }
    if (concurrency !== undefined) args.push("conc", concurrency === null ? "" : String(concurrency));
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
