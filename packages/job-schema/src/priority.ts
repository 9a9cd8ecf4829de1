/** The three priorities, highest first. */
export const PRIORITIES = ["high", "normal", "low"] as const;

/** A job's priority: jobs of a higher priority are claimed before any job of a lower one. */
export type Priority = (typeof PRIORITIES)[number];
