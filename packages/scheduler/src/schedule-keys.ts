import { type QueueKeys, schedulesKey } from "@tq/job-schema";

/** The Redis keys of the schedules under one prefix. Both share one hash slot, so one script can use both. */
export interface ScheduleKeys {
  /** HASH: schedule name -> its definition (JSON). `<prefix>:schedules`. */
  readonly defs: string;
  /**
   * ZSET: schedule name -> its next fire time (epoch ms, Redis clock). `{<prefix>:schedules}:next`: the hash tag
   * is the name of `defs`, which puts both keys in the same cluster slot.
   */
  readonly next: string;
}

/** The schedule keys under `prefix`. */
export function scheduleKeys(prefix: string): ScheduleKeys {
  const defs = schedulesKey(prefix);
  return { defs, next: `{${defs}}:next` };
}

/**
 * HASH in the queue's slot: schedule name -> the latest tick (epoch ms) fired into this queue. The fire script
 * checks and sets it together with the enqueue, which makes each tick fire at most once.
 */
export function firedKey(keys: QueueKeys): string {
  return `${keys.base}fired`;
}
