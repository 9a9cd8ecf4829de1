import type { QueueKeys } from "../keys.js";
import { enqueue as lua } from "../lua/scripts.generated.js";
import { defineScript } from "../script.js";
import { groupKeyList, pendingLists } from "./key-lists.js";

/** The enqueue script's answer for one job. */
export const ENQUEUE_OUTCOME = {
  /** The job was stored (or, on a re-send, found stored by the earlier send). */
  created: 1,
  /** A job with that id exists already: nothing was stored. */
  exists: 0,
  /** Refused: the queue holds `maxPending` jobs waiting to run. */
  queueFull: -1,
} as const;

/**
 * One of {@link ENQUEUE_OUTCOME}'s values, or, for a job with `dedupe` inside the window of another, that job's id:
 * nothing was stored (a debounced job's waiting twin took its args and run time).
 */
export type EnqueueOutcome = (typeof ENQUEUE_OUTCOME)[keyof typeof ENQUEUE_OUTCOME] | { duplicateOf: string };

/** A call of the enqueue script. */
export interface EnqueueInput {
  /** The jobs, each as `prepareJob` built it (its `argv`). */
  jobs: ReadonlyArray<{ readonly argv: readonly string[] }>;
  /** The most jobs waiting to run (pending + scheduled) the queue may hold; undefined for no limit. */
  maxPending?: number | undefined;
  /** Under `maxPending`, refuse the whole batch when its new jobs do not all fit (else admit them in order). */
  atomic?: boolean;
  /** This call re-sends one whose reply was lost: a stored job with the same envelope counts as created. */
  resend?: boolean;
}

/** `enqueue-10.lua`: stores new jobs, pending or scheduled, idempotent by job id. One outcome per job. */
export const enqueue = defineScript<QueueKeys, EnqueueInput, EnqueueOutcome[]>(lua, {
  keys: (k) => [...pendingLists(k), k.scheduled, k.marker, k.events, k.meta, ...groupKeyList(k)],
  args({ jobs, maxPending, atomic = false, resend = false }) {
    const args = [String(jobs.length)];
    for (const job of jobs) args.push(...job.argv);
    if (maxPending !== undefined || resend) {
      args.push(String(maxPending ?? 0), atomic ? "all" : "each", resend ? "1" : "0");
    }
    return args;
  },
  parseReply: (raw) =>
    (raw as unknown[]).map((value) =>
      typeof value === "string" ? { duplicateOf: value } : (Number(value) as EnqueueOutcome),
    ),
});
