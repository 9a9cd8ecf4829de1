import {
  scripts as clientScripts,
  ENQUEUE_ARGS_PER_JOB,
  enqueueKeys,
  type PreparedJob,
  type RedisConnection,
  runScript,
  sweepKeys,
} from "@tq/client/internal";
import type { QueueKeys } from "@tq/job-schema";
import { fireScript } from "./fire-script.js";
import * as scripts from "./lua/scripts.generated.js";
import { firedKey, type ScheduleKeys } from "./schedule-keys.js";

// Every Lua script the scheduler runs is called from this file, each as `script(connection, keys, input)`: the KEYS
// and ARGV lists are built here and the raw reply is turned into a typed value here, so no other file knows a
// script's argument order or reply codes.

/** The Redis clock, epoch ms (`TIME`), read on the node that holds `firstKey`. */
export async function redisTime(connection: RedisConnection, firstKey: string): Promise<number> {
  const [seconds, micros] = await connection.send<[string, string]>(["TIME"], firstKey);
  return Number(seconds) * 1000 + Math.floor(Number(micros) / 1000);
}

/** What the `due` script read from the schedule index. */
export interface DueReply {
  /** The Redis clock when it ran, epoch ms. */
  nowMs: number;
  /** The earliest fire time still in the future, epoch ms; Infinity when there is none. */
  nextAtMs: number;
  /** The schedules whose fire time has come, soonest first. */
  ticks: Array<{ name: string; tickMs: number }>;
}

/** `due-1`: the Redis time, up to `limit` due schedule ticks and the next fire time, in one round trip. */
export async function due(
  connection: RedisConnection,
  keys: ScheduleKeys,
  input: { limit: number },
): Promise<DueReply> {
  const reply = await runScript<unknown[]>(connection, scripts.due, [keys.next], [String(input.limit)]);
  const nextAt = Number(reply[1]);
  const ticks: DueReply["ticks"] = [];
  for (let i = 2; i + 1 < reply.length; i += 2) {
    ticks.push({ name: String(reply[i]), tickMs: Number(reply[i + 1]) });
  }
  return { nowMs: Number(reply[0]), nextAtMs: nextAt >= 0 ? nextAt : Number.POSITIVE_INFINITY, ticks };
}

/** The `fire` script's answer for one tick. */
export type FireOutcome =
  /** The tick's job was created. */
  | "created"
  /** This tick or a later one was fired already, or the job exists. */
  | "fired-before"
  /** The tick is not due on the Redis clock of the queue's node yet: nothing was done. */
  | "not-due";

const FIRE_OUTCOMES: Record<string, FireOutcome> = { "1": "created", "0": "fired-before", "-1": "not-due" };

/** One tick to fire: the schedule, the tick, and the enqueue arguments of its job (see `prepareJob`). */
export interface FireTick {
  name: string;
  tickMs: number;
  job: PreparedJob;
}

/** `fire-6`: enqueues the jobs of due ticks into one queue, each tick at most once. One outcome per tick, in order. */
export async function fire(
  connection: RedisConnection,
  keys: QueueKeys,
  input: { ticks: readonly FireTick[] },
): Promise<FireOutcome[]> {
  const argv = [String(input.ticks.length), String(ENQUEUE_ARGS_PER_JOB)];
  for (const t of input.ticks) argv.push(t.name, String(t.tickMs), ...t.job.argv);
  const reply = await runScript<unknown[]>(
    connection,
    fireScript,
    [...enqueueKeys(keys), firedKey(keys)],
    argv,
  );
  // An answer the script does not give reads as fired before: the schedule then moves on, as after a fire.
  return input.ticks.map((_, i) => FIRE_OUTCOMES[String(reply[i])] ?? "fired-before");
}

/** One schedule to move on from the tick a pass saw. */
export interface AdvanceSchedule {
  name: string;
  tickMs: number;
  /** The definition exactly as the pass read it ("" = it found none). */
  seen: string;
  /** The next fire time, epoch ms; null when the schedule never fires again. */
  nextMs: number | null;
}

/**
 * `advance-2`: moves schedules from the tick a pass saw to their next fire time, a compare-and-set on each. One
 * boolean per schedule: true when this call moved it, false when another scheduler or an upsert changed it first.
 */
export async function advance(
  connection: RedisConnection,
  keys: ScheduleKeys,
  input: { schedules: readonly AdvanceSchedule[] },
): Promise<boolean[]> {
  const argv: string[] = [];
  for (const s of input.schedules) {
    argv.push(s.name, String(s.tickMs), s.seen, s.nextMs === null ? "" : String(s.nextMs));
  }
  const reply = await runScript<unknown[]>(connection, scripts.advance, [keys.defs, keys.next], argv);
  return input.schedules.map((_, i) => Number(reply[i]) === 1);
}

/**
 * `upsert-2`: writes a schedule's definition and next fire time, provided the definition is still `seen` (null: there
 * was none). `keep`: the timing is unchanged, so an existing fire time stays. False when the definition changed
 * since it was read.
 */
export async function upsert(
  connection: RedisConnection,
  keys: ScheduleKeys,
  input: { name: string; seen: string | null; definition: string; nextMs: number; keep: boolean },
): Promise<boolean> {
  const written = await runScript<number>(
    connection,
    scripts.upsert,
    [keys.defs, keys.next],
    [input.name, input.seen ?? "", input.definition, String(input.nextMs), input.keep ? "keep" : "reset"],
  );
  return Number(written) === 1;
}

/** `remove-2`: deletes a schedule's definition and fire time. False when there was no such schedule. */
export async function remove(
  connection: RedisConnection,
  keys: ScheduleKeys,
  input: { name: string },
): Promise<boolean> {
  const removed = await runScript<number>(connection, scripts.remove, [keys.defs, keys.next], [input.name]);
  return Number(removed) === 1;
}

/** The client's `enqueue-5`, for one job. True when it was created, false when a job with its id exists. */
export async function enqueue(
  connection: RedisConnection,
  keys: QueueKeys,
  input: { job: PreparedJob },
): Promise<boolean> {
  const reply = await runScript<number[]>(connection, clientScripts.enqueue, enqueueKeys(keys), [
    "1",
    ...input.job.argv,
  ]);
  return Number(reply[0]) === 1;
}

/** What one sweep of a queue did. */
export interface SweepReply {
  /** Due delayed and retry jobs moved to pending. */
  promoted: number;
  /** Jobs whose lease expired, put back to pending (or failed when out of retries). */
  requeued: number;
  /** Milliseconds until the queue next needs a sweep; null when nothing is scheduled or active. */
  nextWakeMs: number | null;
}

/** The client's `sweep-9`: promotes due jobs and takes back expired leases, at most `limit` of each. */
export async function sweep(
  connection: RedisConnection,
  keys: QueueKeys,
  input: { limit: number },
): Promise<SweepReply> {
  const [promoted, requeued, nextWake] = (
    await runScript<unknown[]>(connection, clientScripts.sweep, sweepKeys(keys), [String(input.limit)])
  ).map(Number) as [number, number, number];
  return { promoted, requeued, nextWakeMs: nextWake < 0 ? null : nextWake };
}
