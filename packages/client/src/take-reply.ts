import { JOB_RECORD_FIELDS } from "@tq/job-schema";

/** A job claimed by the `take` script. */
export interface ClaimedJob {
  id: string;
  /** The claim's fencing token. */
  token: string;
  /** Which run this is, 1-based. */
  attempt: number;
  /** The job's record fields in `JOB_RECORD_FIELDS` order, `null` where missing. */
  record: Array<string | null>;
}

/** The `take` script's reply, parsed. */
export interface TakeResult {
  /** Milliseconds until the next timed event; -1 none; -2 not computed (every slot was filled). */
  nextWakeMs: number;
  /**
   * One letter per ack: c completed, r retry scheduled, f dead-lettered, p dead-lettered because its payload was
   * over the limit (`PAYLOAD_TOO_LARGE`), d dead-lettered because the job's key held another type (`DECODE`),
   * l lease lost. An ack that an earlier call applied (its reply was lost) reports that call's outcome.
   */
  outcomes: string;
  claimed: ClaimedJob[];
}

const WIDTH = 3 + JOB_RECORD_FIELDS.length;

const text = (value: unknown): string | null =>
  value === null || value === undefined ? null : String(value);

/** Parses the `take` script's reply. */
export function parseTakeReply(reply: readonly unknown[]): TakeResult {
  const claimed: ClaimedJob[] = [];
  for (let i = 2; i + WIDTH <= reply.length; i += WIDTH) {
    claimed.push({
      id: String(reply[i]),
      token: String(reply[i + 1]),
      attempt: Number(reply[i + 2]),
      record: reply.slice(i + 3, i + WIDTH).map(text),
    });
  }
  return { nextWakeMs: Number(reply[0]), outcomes: String(reply[1] ?? ""), claimed };
}
