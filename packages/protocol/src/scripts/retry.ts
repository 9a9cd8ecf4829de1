import type { QueueKeys } from "../keys.js";
import { retry as lua } from "../lua/scripts.generated.js";
import { defineScript } from "../script.js";
import { groupKeyList, pendingLists } from "./key-lists.js";

/**
 * A call of the `retry` script: the given failed jobs, or at most `all` of them, oldest first, among those that
 * failed at or before `before` (Redis-clock ms; default: the call's own time).
 */
export type RetryInput = { ids: readonly string[] } | { all: number; before?: number };

/** `retry-10.lua`: replays failed jobs from the dead letter. Returns how many went back to pending. */
export const retry = defineScript<QueueKeys, RetryInput, number>(lua, {
  keys: (k) => [...pendingLists(k), k.failed, k.marker, k.events, k.meta, ...groupKeyList(k)],
  args: (input) =>
    "ids" in input ? ["ids", "0", ...input.ids] : ["all", String(input.all), String(input.before ?? "")],
  parseReply: Number,
});
