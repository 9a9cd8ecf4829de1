import type { RedisConnection } from "@tq/connection";
import { TqError } from "@tq/job-schema";
import type { ScheduleKeys } from "@tq/protocol";
import { redisTime, remove, upsert } from "./redis-calls.js";
import {
  decodeSchedule,
  encodeSchedule,
  type ScheduleInfo,
  type ScheduleSpec,
  type StoredSchedule,
  sameSchedule,
  scheduleInfo,
} from "./schedule-definition.js";
import { firstTick, sameTicks } from "./timing.js";

/** Tries of an upsert that keeps losing a race with another upsert of the same schedule. */
const UPSERT_TRIES = 10;

/** What {@link ScheduleStore.upsert} did. */
export interface UpsertResult {
  info: ScheduleInfo;
  /** False when the schedule was stored already exactly so, and nothing was written. */
  written: boolean;
}

/**
 * The schedules of one prefix in Redis: their definitions (`<prefix>:schedules`) and next fire times
 * (`{<prefix>:schedules}:next`). Every method takes the connection to use; names are checked by the caller.
 */
export class ScheduleStore {
  readonly #keys: ScheduleKeys;

  constructor(keys: ScheduleKeys) {
    this.#keys = keys;
  }

  /**
   * Creates or replaces a schedule. The same timing as stored keeps the next fire time; another timing starts over
   * from now on the Redis clock. A compare-and-set on the definition as read, tried again while a concurrent upsert
   * of the same name wins: throws `REDIS` after {@link UPSERT_TRIES} lost races, `VALIDATION` when the timing never
   * fires.
   */
  async upsert(c: RedisConnection, name: string, spec: ScheduleSpec): Promise<UpsertResult> {
    const k = this.#keys;
    for (let i = 0; i < UPSERT_TRIES; i++) {
      const [[current, score], now] = await Promise.all([this.#read(c, name), redisTime(c, k.defs)]);
      let previous: StoredSchedule | undefined;
      if (current !== null) {
        try {
          previous = decodeSchedule(name, current);
        } catch {
          previous = undefined;
        }
      }
      const stored: StoredSchedule = {
        v: 1,
        ...spec,
        createdAt: previous?.createdAt ?? now,
        updatedAt: now,
      };
      const keep = previous !== undefined && sameTicks(previous.timing, spec.timing) && score !== null;
      if (previous && keep && sameSchedule(previous, stored)) {
        return { info: scheduleInfo(name, previous, Number(score)), written: false };
      }
      const next = keep ? Number(score) : firstTick(spec.timing, now);
      if (next === null) throw new TqError("VALIDATION", `schedule "${name}": its timing never fires`);
      const written = await upsert(c, k, {
        name,
        seen: current,
        definition: encodeSchedule(stored),
        nextMs: next,
        keep,
      });
      if (written) return { info: scheduleInfo(name, stored, next), written: true };
    }
    throw new TqError(
      "REDIS",
      `schedule "${name}" changed ${UPSERT_TRIES} times while this upsert ran; try again`,
    );
  }

  /** Removes a schedule's definition and fire time. False when there was none. */
  remove(c: RedisConnection, name: string): Promise<boolean> {
    return remove(c, this.#keys, { name });
  }

  /** One schedule, or null when there is none by that name. Throws `DECODE` for a broken stored definition. */
  async get(c: RedisConnection, name: string): Promise<ScheduleInfo | null> {
    const [text, score] = await this.#read(c, name);
    if (text === null) return null;
    return scheduleInfo(name, decodeSchedule(name, text), score === null ? null : Number(score));
  }

  /** Every schedule, by name. A definition that cannot be read is passed to `onBroken` and left out. */
  async list(c: RedisConnection, onBroken: (error: Error) => void): Promise<ScheduleInfo[]> {
    const k = this.#keys;
    const [flat, nextFlat] = await Promise.all([
      c.send<unknown>(["HGETALL", k.defs], k.defs),
      c.send<unknown>(["ZRANGE", k.next, "0", "-1", "WITHSCORES"], k.next),
    ]);
    const next = new Map(pairs(nextFlat).map(([name, score]) => [name, Number(score)]));
    const out: ScheduleInfo[] = [];
    for (const [name, text] of pairs(flat)) {
      try {
        out.push(scheduleInfo(name, decodeSchedule(name, text), next.get(name) ?? null));
      } catch (error) {
        onBroken(error as Error);
      }
    }
    return out.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  /** The stored definitions of `names`, in order; null for a name without one. */
  async definitions(c: RedisConnection, names: readonly string[]): Promise<Array<string | null>> {
    const k = this.#keys;
    const texts = await c.send<Array<string | null>>(["HMGET", k.defs, ...names], k.defs);
    return names.map((_, i) => texts[i] ?? null);
  }

  /** A schedule's stored definition and fire time, as stored (null: none). */
  #read(c: RedisConnection, name: string): Promise<[string | null, string | null]> {
    const k = this.#keys;
    return Promise.all([
      c.send<string | null>(["HGET", k.defs, name], k.defs),
      c.send<string | null>(["ZSCORE", k.next, name], k.next),
    ]);
  }
}

/** The pairs of a `[k1, v1, k2, v2, …]` reply, a RESP3 list of `[k, v]` pairs, or a RESP3 map. */
function pairs(reply: unknown): Array<[string, string]> {
  if (reply === null || reply === undefined) return [];
  if (reply instanceof Map) return [...reply.entries()].map(([key, value]) => [String(key), String(value)]);
  if (!Array.isArray(reply)) {
    return Object.entries(reply as Record<string, unknown>).map(([key, value]) => [key, String(value)]);
  }
  const out: Array<[string, string]> = [];
  if (reply.every((item) => Array.isArray(item))) {
    for (const [key, value] of reply as unknown[][]) out.push([String(key), String(value)]);
    return out;
  }
  for (let i = 0; i + 1 < reply.length; i += 2) out.push([String(reply[i]), String(reply[i + 1])]);
  return out;
}
