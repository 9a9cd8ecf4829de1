import type { RedisConnection } from "@tq/connection";
import {
  advanceSchedules,
  dueSchedules,
  ENQUEUE_OUTCOME,
  enqueue as enqueueScript,
  FIRE_OUTCOME,
  fire as fireScript,
  type PreparedJob,
  type QueueKeys,
  redisTimeMs,
  removeSchedule,
  type ScheduleKeys,
  sweep as sweepScript,
  upsertSchedule,
} from "@tq/protocol";

// The scheduler's view of the protocol's scripts, each as `script(connection, keys, input)`: the replies are read
// here in the scheduler's own terms (a fire outcome per tick, null for no next wake), so no other file of the
// package knows a script's reply codes.

/** The Redis clock, epoch ms (`TIME`), read on the node that holds `firstKey`. */
export async function redisTime(connection: RedisConnection, firstKey: string): Promise<number> {
  return redisTimeMs(await connection.send<[string, string]>(["TIME"], firstKey));
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

/** `dueSchedules-1`: the Redis time, up to `limit` due schedule ticks and the next fire time, in one round trip. */
export async function due(
  connection: RedisConnection,
  keys: ScheduleKeys,
  input: { limit: number },
): Promise<DueReply> {
  const reply = await dueSchedules(connection, keys, input);
  return {
    nowMs: reply.nowMs,
    nextAtMs: reply.nextAtMs >= 0 ? reply.nextAtMs : Number.POSITIVE_INFINITY,
    ticks: reply.due,
  };
}

/** The `fire` script's answer for one tick. */
export type FireOutcome =
  /** The tick's job was created. */
  | "created"
  /** This tick or a later one was fired already, or the job exists. */
  | "fired-before"
  /** The tick is not due on the Redis clock of the queue's node yet: nothing was done. */
  | "not-due";

const FIRE_OUTCOMES: Record<number, FireOutcome> = {
  [FIRE_OUTCOME.created]: "created",
  [FIRE_OUTCOME.alreadyFired]: "fired-before",
  [FIRE_OUTCOME.notDue]: "not-due",
};

/** One tick to fire: the schedule, the tick, and the enqueue arguments of its job (see `prepareJob`). */
export interface FireTick {
  name: string;
  tickMs: number;
  job: PreparedJob;
}

/** `fire-11`: enqueues the jobs of due ticks into one queue, each tick at most once. One outcome per tick, in order. */
export async function fire(
  connection: RedisConnection,
  keys: QueueKeys,
  input: { ticks: readonly FireTick[] },
): Promise<FireOutcome[]> {
  const ticks = input.ticks.map((t) => ({ name: t.name, tickMs: t.tickMs, argv: t.job.argv }));
  const reply = await fireScript(connection, keys, { ticks });
  // An answer the script does not give reads as fired before: the schedule then moves on, as after a fire.
  return input.ticks.map((_, i) => FIRE_OUTCOMES[reply[i] ?? FIRE_OUTCOME.alreadyFired] ?? "fired-before");
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
 * `advanceSchedules-2`: moves schedules from the tick a pass saw to their next fire time, a compare-and-set on each. One
 * boolean per schedule: true when this call moved it, false when another scheduler or an upsert changed it first.
 */
export async function advance(
  connection: RedisConnection,
  keys: ScheduleKeys,
  input: { schedules: readonly AdvanceSchedule[] },
): Promise<boolean[]> {
  return advanceSchedules(connection, keys, { moves: input.schedules });
}

/**
 * `upsertSchedule-2`: writes a schedule's definition and next fire time, provided the definition is still `seen` (null: there
 * was none). `keep`: the timing is unchanged, so an existing fire time stays. False when the definition changed
 * since it was read.
 */
export async function upsert(
  connection: RedisConnection,
  keys: ScheduleKeys,
  input: { name: string; seen: string | null; definition: string; nextMs: number; keep: boolean },
): Promise<boolean> {
  return upsertSchedule(connection, keys, {
    name: input.name,
    seen: input.seen ?? "",
    definition: input.definition,
    nextMs: input.nextMs,
    keepNext: input.keep,
  });
}

/** `removeSchedule-2`: deletes a schedule's definition and fire time. False when there was no such schedule. */
export async function remove(
  connection: RedisConnection,
  keys: ScheduleKeys,
  input: { name: string },
): Promise<boolean> {
  return removeSchedule(connection, keys, input);
}

/**
 * `enqueue-10`, for one job: whether it was created (false when a job with its id exists), and the id of the job it
 * is a duplicate of (its `dedupe` window).
 */
export async function enqueue(
  connection: RedisConnection,
  keys: QueueKeys,
  input: { job: PreparedJob },
): Promise<{ created: boolean; duplicateOf?: string }> {
  const [outcome] = await enqueueScript(connection, keys, { jobs: [input.job] });
  if (typeof outcome === "object") return { created: false, duplicateOf: outcome.duplicateOf };
  return { created: outcome === ENQUEUE_OUTCOME.created };
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

/** `sweep-13`: promotes due jobs and takes back expired leases, at most `limit` of each. */
export async function sweep(
  connection: RedisConnection,
  keys: QueueKeys,
  input: { limit: number },
): Promise<SweepReply> {
  const reply = await sweepScript(connection, keys, input);
  return {
    promoted: reply.promoted,
    requeued: reply.requeued,
    nextWakeMs: reply.nextWakeMs < 0 ? null : reply.nextWakeMs,
  };
}
