import type { QueueKeys } from "../keys.js";
import { cancel as lua } from "../lua/scripts.generated.js";
import { defineScript } from "../script.js";
import { pendingLists } from "./key-lists.js";

/** The `cancel` script's reply, parsed. */
export interface CancelResult {
  /** Whether the job was removed. */
  removed: boolean;
  /** The job's state, when it exists but cannot be cancelled (it is active or finished). */
  state?: string;
}

/** `cancel-5.lua`: removes a job that has not started (scheduled or pending). */
export const cancel = defineScript<QueueKeys, { id: string }, CancelResult>(lua, {
  keys: (k) => [...pendingLists(k), k.scheduled, k.events],
  args: ({ id }) => [id],
  parseReply: (raw) =>
    typeof raw === "string" ? { removed: false, state: raw } : { removed: Number(raw) === 1 },
});
