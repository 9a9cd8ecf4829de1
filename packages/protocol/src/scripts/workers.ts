import type { QueueKeys } from "../keys.js";
import {
  heartbeat as heartbeatLua,
  listWorkers as listWorkersLua,
  removeWorker as removeWorkerLua,
} from "../lua/scripts.generated.js";
import { defineScript } from "../script.js";
import type { WorkerField } from "../worker-info.js";

/** A call of the `heartbeat` script: one worker's registry entry, written whole. */
export interface HeartbeatInput {
  workerId: string;
  /** How long the entry lives without another heartbeat, in milliseconds. */
  ttlMs: number;
  /** The Redis-clock epoch ms of the first heartbeat's reply; `undefined` for the first heartbeat (now). */
  startedAt: number | undefined;
  /** How long ago the worker's consume loop last ran, in milliseconds of its own clock. */
  loopAgeMs: number;
  /** The other fields of the entry; the script sets `heartbeatAt`, `startedAt` and `loopAt` itself. */
  fields: Readonly<
    Partial<Record<Exclude<WorkerField, "heartbeatAt" | "startedAt" | "loopAt">, string | number>>
  >;
}

/**
 * `heartbeat-2.lua`: registers or renews a worker's entry (`<base>worker:<id>`, with a TTL, and its score in
 * `<base>workers`). Returns the Redis clock now, in epoch ms.
 */
export const heartbeat = defineScript<QueueKeys, HeartbeatInput, number>(heartbeatLua, {
  keys: (k, { workerId }) => [k.workers, k.worker(workerId)],
  args: ({ workerId, ttlMs, startedAt, loopAgeMs, fields }) => {
    const args = [
      workerId,
      String(ttlMs),
      startedAt === undefined ? "" : String(startedAt),
      String(loopAgeMs),
    ];
    for (const [field, value] of Object.entries(fields)) {
      if (value !== undefined) args.push(field, String(value));
    }
    return args;
  },
  parseReply: (raw) => Number(raw),
});

/** `removeWorker-2.lua`: takes a closing worker's entry out of the registry. Returns whether it was there. */
export const removeWorker = defineScript<QueueKeys, { workerId: string }, boolean>(removeWorkerLua, {
  keys: (k, { workerId }) => [k.workers, k.worker(workerId)],
  args: ({ workerId }) => [workerId],
  parseReply: (raw) => Number(raw) === 1,
});

/** One page of a queue's live workers. */
export interface WorkerPage {
  /** Now on the Redis clock, in epoch ms. */
  nowMs: number;
  /** The ids of live entries, soonest to expire first. */
  ids: string[];
}

/**
 * `listWorkers-1.lua`: prunes expired entries of the registry (a bounded number per call) and returns one page of
 * the live ones' ids, with the Redis clock.
 */
export const listWorkers = defineScript<QueueKeys, { offset: number; limit: number }, WorkerPage>(
  listWorkersLua,
  {
    keys: (k) => [k.workers],
    args: ({ offset, limit }) => [String(offset), String(limit)],
    parseReply(raw) {
      const [now, ...ids] = raw as unknown[];
      return { nowMs: Number(now), ids: ids.map(String) };
    },
  },
);
