import type { QueueKeys } from "../keys.js";
import { take as lua } from "../lua/scripts.generated.js";
import { JOB_RECORD_FIELDS } from "../record.js";
import { defineScript } from "../script.js";
import { groupKeyList, pendingLists } from "./key-lists.js";

/** What a finished run asks of its job in a `take` call: complete it, or record a failed run. */
export const ACK_OP = {
  complete: "c",
  fail: "f",
  /** Hand the job back without counting the run: it goes to the front of its pending list (`ctx.rateLimit`). */
  handBack: "b",
} as const;

/** One of {@link ACK_OP}'s values. */
export type AckOp = (typeof ACK_OP)[keyof typeof ACK_OP];

/** What became of one ack of a `take` call: one letter per ack in {@link TakeResult.outcomes}. */
export const ACK_OUTCOME = {
  completed: "c",
  /** A retry was scheduled. */
  retrying: "r",
  /** Dead-lettered (no retries left, or no retry asked for). */
  failed: "f",
  /** Dead-lettered because the result was over `maxResultBytes` (`PAYLOAD_TOO_LARGE`). */
  tooLarge: "p",
  /** Dead-lettered because the job's key held another type (`DECODE`). */
  undecodable: "d",
  /** Handed back to the front of its pending list, the run not counted as an attempt (op `handBack`). */
  handedBack: "b",
  /** The lease was lost: the ack was ignored. */
  leaseLost: "l",
} as const;

/** One of {@link ACK_OUTCOME}'s values. */
export type AckOutcome = (typeof ACK_OUTCOME)[keyof typeof ACK_OUTCOME];

/** Why a `take` call claimed fewer jobs than it asked for: {@link TakeResult.limit}. */
export const TAKE_LIMIT = { none: "", rate: "r", held: "h", concurrency: "c", groups: "g" } as const;

/** One of {@link TAKE_LIMIT}'s values. */
export type TakeLimit = (typeof TAKE_LIMIT)[keyof typeof TAKE_LIMIT];

const LIMITS = new Set<string>(Object.values(TAKE_LIMIT));

/** One finished run in a `take` call. */
export interface TakeAck {
  readonly id: string;
  /** The fencing token of the run's claim. */
  readonly token: string;
  readonly op: AckOp;
  /** The result JSON (complete) or the error JSON (fail). */
  readonly payload: string;
  /** Fail only: the delay before the retry, in milliseconds; -1 (the default) dead-letters the job. */
  readonly delayMs?: number;
}

/** A call of the `take` script. */
export interface TakeInput {
  /** The worker's id: its claims are tagged with it (and listed under `claims(workerId)`). */
  workerId: string;
  /** The lease of each claimed job, in milliseconds (Redis clock). */
  leaseMs: number;
  /** How many jobs to claim (0: only apply the acks). */
  claim: number;
  acks: readonly TakeAck[];
  /** The largest result a completion may store, in bytes; 0 (the default) for no limit. */
  maxResultBytes?: number;
}

/** A job claimed by the `take` script. */
export interface ClaimedJob {
  id: string;
  /** The claim's fencing token. */
  token: string;
  /** Which run this is, 1-based. */
  attempt: number;
  /**
   * How long the job waited for this run, in milliseconds: from when it became runnable (its run time after a delay,
   * a backoff or a reclaim) or else its creation, to the claim (the Redis clock; the creation time is the producer's).
   */
  waitedMs: number;
  /** The job's record fields in `JOB_RECORD_FIELDS` order, `null` where missing. */
  record: Array<string | null>;
}

/** The `take` script's reply, parsed. */
export interface TakeResult {
  /**
   * Milliseconds until the next timed event; `NEXT_WAKE_NONE` (-1) none; `NEXT_WAKE_NOT_COMPUTED` (-2) not computed
   * (every slot asked for was filled).
   */
  nextWakeMs: number;
  /**
   * Why fewer jobs were claimed than asked for, when a flow-control limit held the call back (see {@link TAKE_LIMIT}):
   * `""` none, `"r"` the rate limit's window is full, `"h"` claims are held by `ctx.rateLimit`, `"c"` the global
   * concurrency is reached, `"g"` the jobs left pending are all in groups without a free slot or an open rate window.
   * For `"r"` and `"h"` with nothing claimed, `nextWakeMs` is when claims may start again; for `"g"` it is at most
   * the time until the first waiting group's window opens.
   */
  limit: TakeLimit;
  /**
   * One {@link ACK_OUTCOME} letter per ack. An ack that an earlier call applied (its reply was lost) reports that
   * call's outcome.
   */
  outcomes: string;
  claimed: ClaimedJob[];
}

const WIDTH = 4 + JOB_RECORD_FIELDS.length;

const text = (value: unknown): string | null =>
  value === null || value === undefined ? null : String(value);

/** Parses the `take` script's reply. */
export function parseTakeReply(reply: readonly unknown[]): TakeResult {
  const claimed: ClaimedJob[] = [];
  for (let i = 3; i + WIDTH <= reply.length; i += WIDTH) {
    claimed.push({
      id: String(reply[i]),
      token: String(reply[i + 1]),
      attempt: Number(reply[i + 2]),
      waitedMs: Number(reply[i + 3]) || 0,
      record: reply.slice(i + 4, i + WIDTH).map(text),
    });
  }
  const limit = String(reply[1] ?? "");
  return {
    nextWakeMs: Number(reply[0]),
    limit: (LIMITS.has(limit) ? limit : "") as TakeLimit,
    outcomes: String(reply[2] ?? ""),
    claimed,
  };
}

/**
 * `take-16.lua`: a worker's one round trip. Applies its acks (fenced by token), promotes due jobs, reclaims expired
 * leases, then claims up to `claim` jobs with fresh leases and tokens, within the queue's rate limit, global
 * concurrency and `ctx.rateLimit` hold.
 */
export const take = defineScript<QueueKeys, TakeInput, TakeResult>(lua, {
  keys: (k, { workerId }) => [
    ...pendingLists(k),
    k.scheduled,
    k.active,
    k.completed,
    k.failed,
    k.marker,
    k.meta,
    k.events,
    k.claims(workerId),
    k.throughput,
    k.starts,
    ...groupKeyList(k),
  ],
  args({ workerId, leaseMs, claim, acks, maxResultBytes = 0 }) {
    const args = [String(leaseMs), String(claim), String(acks.length), workerId, String(maxResultBytes)];
    for (const ack of acks) args.push(ack.id, ack.token, ack.op, ack.payload, String(ack.delayMs ?? -1));
    return args;
  },
  parseReply: (raw) => parseTakeReply(raw as unknown[]),
});
