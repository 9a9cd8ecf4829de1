import type { QueueKeys } from "../keys.js";

/** The three pending lists, highest priority first: the first KEYS of most scripts. */
export const pendingLists = (k: QueueKeys): string[] => [k.pending.high, k.pending.normal, k.pending.low];

/**
 * The fixed keys of job groups (the ring, the active counts, the groups waiting for their rate window): the last KEYS
 * of every script that moves jobs in or out of pending or active.
 */
export const groupKeyList = (k: QueueKeys): string[] => [k.groups, k.groupActive, k.groupWait];

/** A run a worker holds: the job's id and the fencing token of its claim. */
export interface HeldRun {
  readonly id: string;
  readonly token: string;
}

/** `id, token` per run, as the scripts that take runs read their ARGV. */
export function runArgs(runs: readonly HeldRun[], into: string[] = []): string[] {
  for (const run of runs) into.push(run.id, run.token);
  return into;
}
