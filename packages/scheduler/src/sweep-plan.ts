import type { RedisConnection } from "@tq/connection";
import { type QueueKeys, queueKeys } from "@tq/protocol";

/** What one probe of a queue found: when it needs a sweep, and whether any of its keys exists at all. */
export interface QueueProbe {
  /** Epoch ms (Redis clock) of its earliest scheduled run time, lease deadline or (housekeeping) retention age; Infinity for none. */
  sweepAt: number;
  /** Housekeeping probes only: false when the queue has none of its keys left. */
  exists?: boolean;
}

/** The score of the only member of a `ZRANGE … 0 0 WITHSCORES` reply (RESP2 flat or RESP3 pairs); null when empty. */
function firstScore(reply: unknown): number | null {
  if (!Array.isArray(reply) || reply.length === 0) return null;
  const first = reply[0];
  const score = Array.isArray(first) ? first[1] : reply[1];
  if (score === undefined || score === null) return null;
  const value = Number(score);
  return Number.isNaN(value) ? null : value;
}

/** Every key that exists while a queue has anything in it (job records aside: each is named by one of these). */
function fixedKeys(keys: QueueKeys): string[] {
  return [
    keys.pending.high,
    keys.pending.normal,
    keys.pending.low,
    keys.scheduled,
    keys.active,
    keys.completed,
    keys.failed,
    keys.marker,
    keys.events,
    keys.meta,
    keys.fired,
  ];
}

/**
 * Reads, with cheap commands and no script, when the queue next needs a sweep: the first score of `scheduled`
 * (the next run time) and of `active` (the next lease deadline). A housekeeping probe also reads the oldest failed
 * job and the queue's failed-job age limit (sweeps apply it), and, for a queue with nothing scheduled or active,
 * whether any of its keys is left. All of a queue's reads share its slot and go out pipelined.
 */
export async function probeQueue(
  connection: RedisConnection,
  prefix: string,
  queue: string,
  housekeeping: boolean,
): Promise<QueueProbe> {
  const keys = queueKeys(queue, prefix);
  const send = (args: string[]) => connection.send<unknown>(args, keys.base);
  const [scheduled, active, failed, ageMs] = await Promise.all([
    send(["ZRANGE", keys.scheduled, "0", "0", "WITHSCORES"]),
    send(["ZRANGE", keys.active, "0", "0", "WITHSCORES"]),
    housekeeping ? send(["ZRANGE", keys.failed, "0", "0", "WITHSCORES"]) : null,
    housekeeping ? send(["HGET", keys.meta, "failedAgeMs"]) : null,
  ]);
  let sweepAt = Number.POSITIVE_INFINITY;
  for (const score of [firstScore(scheduled), firstScore(active)]) {
    if (score !== null) sweepAt = Math.min(sweepAt, score);
  }
  const oldestFailed = firstScore(failed);
  const failedAgeMs = Number(ageMs ?? 0);
  if (oldestFailed !== null && failedAgeMs > 0) sweepAt = Math.min(sweepAt, oldestFailed + failedAgeMs);
  if (!housekeeping) return { sweepAt };
  if (sweepAt !== Number.POSITIVE_INFINITY || oldestFailed !== null) return { sweepAt, exists: true };
  const existing = Number(await connection.send<number>(["EXISTS", ...fixedKeys(keys)], keys.base));
  return { sweepAt, exists: existing > 0 };
}
