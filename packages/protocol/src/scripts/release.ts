import type { QueueKeys } from "../keys.js";
import { release as lua } from "../lua/scripts.generated.js";
import { defineScript } from "../script.js";
import { type HeldRun, pendingLists, runArgs } from "./key-lists.js";

/** A call of the `release` script. */
export interface ReleaseInput {
  runs: readonly HeldRun[];
}

/** The keys of `release`; `recover` takes the same and the worker's claims set. */
export const releaseKeys = (k: QueueKeys): string[] => [
  ...pendingLists(k),
  k.active,
  k.marker,
  k.failed,
  k.events,
];

/**
 * `release-7.lua`: hands unfinished runs back (fenced by token) without counting the run. Returns how many were
 * handed back.
 */
export const release = defineScript<QueueKeys, ReleaseInput, number>(lua, {
  keys: releaseKeys,
  args: ({ runs }) => runArgs(runs),
  parseReply: Number,
});
