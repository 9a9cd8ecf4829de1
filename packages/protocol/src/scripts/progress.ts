import type { QueueKeys } from "../keys.js";
import { progress as lua } from "../lua/scripts.generated.js";
import { defineScript } from "../script.js";

/** The `progress` script's reply. */
export const PROGRESS_REPLY = {
  recorded: 1,
  /** The lease is lost (or the job's key held another type: it was dead-lettered). */
  leaseLost: 0,
  /** The value is over the limit: nothing was stored. */
  tooLarge: -1,
} as const;

/** One of {@link PROGRESS_REPLY}'s values. */
export type ProgressReply = (typeof PROGRESS_REPLY)[keyof typeof PROGRESS_REPLY];

/** A call of the `progress` script. */
export interface ProgressInput {
  id: string;
  /** The fencing token of the run's claim. */
  token: string;
  /** The progress value, JSON. */
  value: string;
  /** The largest value stored, in bytes; 0 for no limit. */
  maxBytes: number;
}

/** `progress-3.lua`: records a running job's latest progress value, while the caller holds its lease. */
export const progress = defineScript<QueueKeys, ProgressInput, ProgressReply>(lua, {
  keys: (k) => [k.events, k.active, k.failed],
  args: ({ id, token, value, maxBytes }) => [id, token, value, String(maxBytes)],
  parseReply: (raw) => Number(raw) as ProgressReply,
});
