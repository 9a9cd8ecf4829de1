import type { QueueKeys } from "@tq/job-schema";

// The KEYS of each Lua script, in the order its header lists them.

export const enqueueKeys = (k: QueueKeys) => [
  k.pending.high,
  k.pending.normal,
  k.pending.low,
  k.scheduled,
  k.marker,
];

/**
 * The SET of job ids a worker claimed (`<base>claims:<workerId>`), in the queue's hash slot: after a claim whose
 * reply was lost, the `recover` script finds those jobs there.
 */
export const claimsKey = (k: QueueKeys, workerId: string) => `${k.base}claims:${workerId}`;

export const takeKeys = (k: QueueKeys, workerId: string) => [
  k.pending.high,
  k.pending.normal,
  k.pending.low,
  k.scheduled,
  k.active,
  k.completed,
  k.failed,
  k.marker,
  k.meta,
  k.events,
  claimsKey(k, workerId),
];

export const extendKeys = (k: QueueKeys) => [k.active, k.failed, k.events];

export const progressKeys = (k: QueueKeys) => [k.events, k.active, k.failed];

export const releaseKeys = (k: QueueKeys) => [
  k.pending.high,
  k.pending.normal,
  k.pending.low,
  k.active,
  k.marker,
  k.failed,
  k.events,
];

export const recoverKeys = (k: QueueKeys, workerId: string) => [...releaseKeys(k), claimsKey(k, workerId)];

export const retryKeys = (k: QueueKeys) => [
  k.pending.high,
  k.pending.normal,
  k.pending.low,
  k.failed,
  k.marker,
  k.events,
];

export const cancelKeys = (k: QueueKeys) => [
  k.pending.high,
  k.pending.normal,
  k.pending.low,
  k.scheduled,
  k.events,
];

export const resumeKeys = (k: QueueKeys) => [k.meta, k.marker];

export const sweepKeys = (k: QueueKeys) => [
  k.pending.high,
  k.pending.normal,
  k.pending.low,
  k.scheduled,
  k.active,
  k.failed,
  k.marker,
  k.meta,
  k.events,
];

/** The crashed script takes the same keys as sweep. */
export const crashedKeys = sweepKeys;
