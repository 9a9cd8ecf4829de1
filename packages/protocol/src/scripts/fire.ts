import type { QueueKeys } from "../keys.js";
import { fire as lua } from "../lua/scripts.generated.js";
import { defineScript } from "../script.js";
import { groupKeyList, pendingLists } from "./key-lists.js";

/** The `fire` script's answer for one tick. */
export const FIRE_OUTCOME = {
  /** The tick's job was created. */
  created: 1,
  /** This tick or a later one was fired already (or the job exists). */
  alreadyFired: 0,
  /** The tick is not due on the Redis clock: nothing was done. */
  notDue: -1,
} as const;

/** One of {@link FIRE_OUTCOME}'s values. */
export type FireOutcome = (typeof FIRE_OUTCOME)[keyof typeof FIRE_OUTCOME];

/** One due schedule tick to fire. */
export interface FireTick {
  /** The schedule's name. */
  readonly name: string;
  /** The tick, epoch ms (Redis clock). */
  readonly tickMs: number;
  /** The enqueue values of the tick's job, as `prepareJob` built them (id `<name>:<tickMs>`). */
  readonly argv: readonly string[];
}

/**
 * `fire-11.lua`: enqueues the jobs of due schedule ticks into one queue, each tick at most once. One outcome per
 * tick.
 */
export const fire = defineScript<QueueKeys, { ticks: readonly FireTick[] }, FireOutcome[]>(lua, {
  keys: (k) => [...pendingLists(k), k.scheduled, k.marker, k.events, k.meta, k.fired, ...groupKeyList(k)],
  args({ ticks }) {
    const args = [String(ticks.length)];
    for (const tick of ticks) args.push(tick.name, String(tick.tickMs), ...tick.argv);
    return args;
  },
  parseReply: (raw) => (raw as unknown[]).map(Number) as FireOutcome[],
});
