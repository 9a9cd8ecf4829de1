import type { QueueKeys } from "@tq/job-schema";

// The KEYS of each Lua script, in the order its header lists them.

export const enqueueKeys = (k: QueueKeys) => [
  k.pending.high,
  k.pending.normal,
  k.pending.low,
  k.scheduled,
  k.marker,
];

export const takeKeys = (k: QueueKeys) => [
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
];

export const extendKeys = (k: QueueKeys) => [k.active];

export const progressKeys = (k: QueueKeys) => [k.events];

export const releaseKeys = (k: QueueKeys) => [
  k.pending.high,
  k.pending.normal,
  k.pending.low,
  k.active,
  k.marker,
];

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
