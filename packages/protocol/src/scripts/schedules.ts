import type { ScheduleKeys } from "../keys.js";
import {
  advanceSchedules as advanceLua,
  dueSchedules as dueLua,
  removeSchedule as removeLua,
  upsertSchedule as upsertLua,
} from "../lua/scripts.generated.js";
import { defineScript } from "../script.js";

/** The `dueSchedules` script's reply, parsed. */
export interface DueSchedules {
  /** The Redis clock, epoch ms. */
  nowMs: number;
  /** The earliest fire time still in the future, epoch ms; -1 for none. */
  nextAtMs: number;
  /** The schedules whose fire time has come, soonest first. */
  due: Array<{ name: string; tickMs: number }>;
}

/** `dueSchedules-1.lua`: the due schedules (at most `limit`) and the next fire time, on the Redis clock. */
export const dueSchedules = defineScript<ScheduleKeys, { limit: number }, DueSchedules>(dueLua, {
  keys: (k) => [k.next],
  args: ({ limit }) => [String(limit)],
  parseReply(raw) {
    const reply = raw as unknown[];
    const due: DueSchedules["due"] = [];
    for (let i = 2; i + 1 < reply.length; i += 2)
      due.push({ name: String(reply[i]), tickMs: Number(reply[i + 1]) });
    return { nowMs: Number(reply[0]), nextAtMs: Number(reply[1]), due };
  },
});

/** One schedule to move on from the tick a scheduler handled. */
export interface ScheduleMove {
  readonly name: string;
  /** The due tick the caller saw, epoch ms. */
  readonly tickMs: number;
  /** The definition the caller computed from, exactly as it read it ("" = it found none). */
  readonly seen: string;
  /** The next fire time, epoch ms; null when the schedule never fires again. */
  readonly nextMs: number | null;
}

/**
 * `advanceSchedules-2.lua`: moves schedules to their next fire time, each only if no other scheduler did first and
 * its definition is unchanged. One boolean per schedule: whether it was advanced.
 */
export const advanceSchedules = defineScript<ScheduleKeys, { moves: readonly ScheduleMove[] }, boolean[]>(
  advanceLua,
  {
    keys: (k) => [k.defs, k.next],
    args({ moves }) {
      const args: string[] = [];
      for (const m of moves)
        args.push(m.name, String(m.tickMs), m.seen, m.nextMs === null ? "" : String(m.nextMs));
      return args;
    },
    parseReply: (raw) => (raw as unknown[]).map((v) => Number(v) === 1),
  },
);

/** A call of the `upsertSchedule` script. */
export interface UpsertScheduleInput {
  readonly name: string;
  /** The definition the caller read ("" = none): the write applies only if it is still the stored one. */
  readonly seen: string;
  /** The new definition, JSON. */
  readonly definition: string;
  /** The next fire time, epoch ms. */
  readonly nextMs: number;
  /** The timing is unchanged: keep the current fire time (set `nextMs` only when there is none). */
  readonly keepNext: boolean;
}

/** `upsertSchedule-2.lua`: writes a schedule's definition and next fire time together. False when it changed meanwhile. */
export const upsertSchedule = defineScript<ScheduleKeys, UpsertScheduleInput, boolean>(upsertLua, {
  keys: (k) => [k.defs, k.next],
  args: (s) => [s.name, s.seen, s.definition, String(s.nextMs), s.keepNext ? "keep" : "reset"],
  parseReply: (raw) => Number(raw) === 1,
});

/** `removeSchedule-2.lua`: deletes a schedule's definition and next fire time. False when there was none. */
export const removeSchedule = defineScript<ScheduleKeys, { name: string }, boolean>(removeLua, {
  keys: (k) => [k.defs, k.next],
  args: ({ name }) => [name],
  parseReply: (raw) => Number(raw) === 1,
});
