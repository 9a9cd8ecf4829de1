import type { QueueKeys } from "../keys.js";
import { recover as lua } from "../lua/scripts.generated.js";
import { defineScript } from "../script.js";
import { groupKeyList, type HeldRun, runArgs } from "./key-lists.js";
import { handBackKeys } from "./release.js";

/** A call of the `recover` script. */
export interface RecoverInput {
  /** The worker whose claims are looked at. */
  workerId: string;
  /** The runs the worker (or its supervisor) knows it holds: they are left alone. */
  held: readonly HeldRun[];
}

/**
 * `recover-12.lua`: hands back the jobs claimed under `workerId` that it does not hold (a claim whose reply was
 * lost), without counting the run. Returns how many were handed back.
 */
export const recover = defineScript<QueueKeys, RecoverInput, number>(lua, {
  keys: (k, { workerId }) => [...handBackKeys(k), k.claims(workerId), k.meta, ...groupKeyList(k)],
  args: ({ workerId, held }) => runArgs(held, [workerId]),
  parseReply: Number,
});
