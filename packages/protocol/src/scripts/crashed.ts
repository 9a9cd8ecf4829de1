import type { QueueKeys } from "../keys.js";
import { crashed as lua } from "../lua/scripts.generated.js";
import { defineScript } from "../script.js";
import { sweepKeys } from "./sweep.js";

/** What became of one run in a `crashed` call: one letter per run. */
export const CRASHED_OUTCOME = {
  /** A retry was scheduled. */
  retrying: "r",
  /** Dead-lettered (also a job key that is not a hash: it was replaced by a failed record saying so). */
  failed: "f",
  /** Not active under that token (already finished, handed back or reclaimed): nothing changed. */
  unchanged: "l",
} as const;

/** One of {@link CRASHED_OUTCOME}'s values. */
export type CrashedOutcome = (typeof CRASHED_OUTCOME)[keyof typeof CRASHED_OUTCOME];

/** A run whose process died or was killed. */
export interface CrashedRun {
  readonly id: string;
  readonly token: string;
  /** Delay before the retry, in milliseconds; -1 = no retry. */
  readonly retryDelayMs: number;
  /** Whether this counts as a stall (the process died) rather than a run killed for overrunning its timeout. */
  readonly stalled: boolean;
  /** The error to record (its `attempt` is filled in by the script). */
  readonly error: { readonly name: string; readonly code: string; readonly message: string };
}

/**
 * `crashed-13.lua`: fails the runs of a dead worker process at once, fenced by token. Returns one
 * {@link CRASHED_OUTCOME} letter per run.
 */
export const crashed = defineScript<QueueKeys, { runs: readonly CrashedRun[] }, string>(lua, {
  keys: sweepKeys,
  args({ runs }) {
    const args: string[] = [];
    for (const run of runs) {
      args.push(
        run.id,
        run.token,
        String(Math.round(run.retryDelayMs)),
        run.stalled ? "1" : "0",
        JSON.stringify(run.error),
      );
    }
    return args;
  },
  parseReply: String,
});
