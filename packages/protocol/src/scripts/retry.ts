import type { QueueKeys } from "../keys.js";
import { retry as lua } from "../lua/scripts.generated.js";
import { defineScript } from "../script.js";
import { pendingLists } from "./key-lists.js";

/** A call of the `retry` script: the given failed jobs, or at most `limit` of them, oldest first. */
export type RetryInput = { ids: readonly string[] } | { all: number };

/** `retry-7.lua`: replays failed jobs from the dead letter. Returns how many went back to pending. */
export const retry = defineScript<QueueKeys, RetryInput, number>(lua, {
  keys: (k) => [...pendingLists(k), k.failed, k.marker, k.events, k.meta],
  args: (input) => ("ids" in input ? ["ids", "0", ...input.ids] : ["all", String(input.all)]),
  parseReply: Number,
});
