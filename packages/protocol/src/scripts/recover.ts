import type { QueueKeys } from "../keys.js";
import { recover as lua } from "../lua/scripts.generated.js";
import { defineScript } from "../script.js";
import { type HeldRun, runArgs } from "./key-lists.js";
import { releaseKeys } from "./release.js";

/** A call of the `recover` script. */
export interface RecoverInput {
  /** The worker whose claims are looked at. */
  workerId: string;
  /** The runs the worker (or its supervisor) knows it holds: they are left alone. */
  held: readonly HeldRun[];
}

/**
 * `recover-8.lua`: hands back the jobs claimed under `workerId` that it does not hold (a claim whose reply was
 * lost), without counting the run. Returns how many were handed back.
 */
export const recover = defineScript<QueueKeys, RecoverInput, number>(lua, {
  keys: (k, { workerId }) => [...releaseKeys(k), k.claims(workerId)],
  args: ({ workerId, held }) => runArgs(held, [workerId]),
  parseReply: Number,
});
