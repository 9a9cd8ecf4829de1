import type { QueueKeys } from "../keys.js";
import { extend as lua } from "../lua/scripts.generated.js";
import { defineScript } from "../script.js";
import { type HeldRun, runArgs } from "./key-lists.js";

/** A call of the `extend` script. */
export interface ExtendInput {
  /** The new lease, in milliseconds from now (Redis clock). */
  leaseMs: number;
  runs: readonly HeldRun[];
}

/** `extend-3.lua`: renews the leases of a worker's running jobs. Returns the ids whose lease is lost. */
export const extend = defineScript<QueueKeys, ExtendInput, string[]>(lua, {
  keys: (k) => [k.active, k.failed, k.events],
  args: ({ leaseMs, runs }) => runArgs(runs, [String(leaseMs)]),
  parseReply: (raw) => (raw as unknown[]).map(String),
});
