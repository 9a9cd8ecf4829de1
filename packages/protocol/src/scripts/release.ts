import type { QueueKeys } from "../keys.js";
import { release as lua } from "../lua/scripts.generated.js";
import { defineScript } from "../script.js";
import { groupKeyList, type HeldRun, pendingLists, runArgs } from "./key-lists.js";

/** A call of the `release` script. */
export interface ReleaseInput {
  runs: readonly HeldRun[];
}

/** The first keys of `release` and `recover`; `recover` adds the worker's claims set before the rest. */
export const handBackKeys = (k: QueueKeys): string[] => [
  ...pendingLists(k),
  k.active,
  k.marker,
  k.failed,
  k.events,
];

/** The keys of `release`. */
const releaseKeys = (k: QueueKeys): string[] => [...handBackKeys(k), k.meta, ...groupKeyList(k)];

/**
 * `release-11.lua`: hands unfinished runs back (fenced by token) without counting the run. Returns how many were
 * handed back.
 */
export const release = defineScript<QueueKeys, ReleaseInput, number>(lua, {
  keys: releaseKeys,
  args: ({ runs }) => runArgs(runs),
  parseReply: Number,
});
