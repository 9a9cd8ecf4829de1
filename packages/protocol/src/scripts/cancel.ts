import type { QueueKeys } from "../keys.js";
import { cancel as lua } from "../lua/scripts.generated.js";
import { defineScript } from "../script.js";
import { groupKeyList, pendingLists } from "./key-lists.js";

/** The `cancel` script's reply, parsed. */
export interface CancelResult {
  /** Whether the job was removed: it had not started (scheduled or pending). */
  removed: boolean;
  /**
   * Whether the job was running: it is now failed with a `CANCELLED` error, without retries, and its worker was told
   * on the queue's cancel channel.
   */
  failed: boolean;
  /** The job's state, when it exists but cannot be cancelled (it is finished). */
  state?: string;
}

/** The `cancel` script's replies, as numbers. */
export const CANCEL_REPLY = { none: 0, removed: 1, failed: 2 } as const;

/**
 * The message the `cancel` script publishes on {@link QueueKeys.cancelChannel} for a running job it failed:
 * `<id> <token>` (job ids hold no whitespace). Undefined for a message of another shape.
 */
export function parseCancelMessage(message: string): { id: string; token: string } | undefined {
  const space = message.indexOf(" ");
  if (space <= 0 || space === message.length - 1) return undefined;
  return { id: message.slice(0, space), token: message.slice(space + 1) };
}

/**
 * `cancel-14.lua`: removes a job that has not started (scheduled or pending), or fails a running one with
 * `CANCELLED` (no retry; its late ack is refused) and tells its worker.
 */
export const cancel = defineScript<QueueKeys, { id: string }, CancelResult>(lua, {
  keys: (k) => [
    ...pendingLists(k),
    k.scheduled,
    k.events,
    k.active,
    k.failed,
    k.meta,
    k.throughput,
    k.cancelChannel,
    ...groupKeyList(k),
    k.marker,
  ],
  args: ({ id }) => [id],
  parseReply: (raw) =>
    typeof raw === "string"
      ? { removed: false, failed: false, state: raw }
      : { removed: Number(raw) === CANCEL_REPLY.removed, failed: Number(raw) === CANCEL_REPLY.failed },
});
