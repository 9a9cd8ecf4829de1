import type { QueueKeys } from "../keys.js";
import { sweep as lua } from "../lua/scripts.generated.js";
import { defineScript } from "../script.js";
import { groupKeyList, pendingLists } from "./key-lists.js";

/** The `sweep` script's reply, parsed. */
export interface SweepResult {
  /** Due delayed and retry jobs moved to pending. */
  promoted: number;
  /** Jobs whose lease expired put back to pending (those out of retries went to failed). */
  requeued: number;
  /** Milliseconds until the next run time or lease deadline; `NEXT_WAKE_NONE` (-1) when nothing is scheduled or active. */
  nextWakeMs: number;
}

/** The keys of `sweep`; `crashed` takes the same. */
export const sweepKeys = (k: QueueKeys): string[] => [
  ...pendingLists(k),
  k.scheduled,
  k.active,
  k.failed,
  k.marker,
  k.meta,
  k.events,
  k.throughput,
  ...groupKeyList(k),
];

/** `sweep-13.lua`: the scheduler's pass over one queue: promotes due jobs and takes back expired leases. */
export const sweep = defineScript<QueueKeys, { limit: number }, SweepResult>(lua, {
  keys: sweepKeys,
  args: ({ limit }) => [String(limit)],
  parseReply(raw) {
    const [promoted, requeued, nextWakeMs] = (raw as unknown[]).map(Number);
    return { promoted: promoted ?? 0, requeued: requeued ?? 0, nextWakeMs: nextWakeMs ?? -1 };
  },
});
