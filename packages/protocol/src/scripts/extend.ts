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

/** What `extend` found of the runs it could not renew: every one of them must stop. */
export interface ExtendResult {
  /** Runs whose lease is gone: it ran out, or the job is no longer active under the run's token. */
  lost: string[];
  /** Runs whose job was cancelled while they held it (`queue.cancel`): it is already failed with `CANCELLED`. */
  cancelled: string[];
}

const ids = (raw: unknown): string[] => (Array.isArray(raw) ? raw.map(String) : []);

/** `extend-3.lua`: renews the leases of a worker's running jobs. Returns the runs it could not renew, and why. */
export const extend = defineScript<QueueKeys, ExtendInput, ExtendResult>(lua, {
  keys: (k) => [k.active, k.failed, k.events],
  args: ({ leaseMs, runs }) => runArgs(runs, [String(leaseMs)]),
  parseReply: (raw) => {
    const [lost, cancelled] = Array.isArray(raw) ? raw : [];
    return { lost: ids(lost), cancelled: ids(cancelled) };
  },
});
