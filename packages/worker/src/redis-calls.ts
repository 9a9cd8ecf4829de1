// The worker package's view of the protocol's scripts: the few calls whose replies it reads in its own terms (a
// progress outcome, what became of a lost run). Everything else calls `@tq/protocol`'s scripts directly.
import type { RedisConnection } from "@tq/connection";
import {
  CRASHED_OUTCOME,
  crashed,
  type ExtendResult,
  extend,
  type HeldRun,
  holdClaims,
  PROGRESS_REPLY,
  progress,
  type QueueKeys,
  recover,
  release,
  type TakeAck,
  type TakeResult,
  take as takeScript,
} from "@tq/protocol";

/** An outcome to record: `c` completed with `payload` (the result's JSON), `f` failed with `payload` (the error's). */
export interface AckInput extends TakeAck {
  /** For a failure: how long before the retry, in milliseconds; -1 = no retry. */
  readonly delayMs: number;
}

/** What a worker's `take` call carries: its acks, and how many jobs to claim under `workerId`. */
export interface TakeCall {
  workerId: string;
  /** The lease of each job claimed, in milliseconds. */
  leaseMs: number;
  /** How many jobs to claim (0: only record the acks). */
  claim: number;
  /** The largest result or error stored, in bytes; a larger one dead-letters its job. */
  maxResultBytes: number;
  acks: readonly AckInput[];
}

/**
 * Records `acks` and claims up to `claim` jobs under `workerId`, in one call. The reply gives one outcome letter per
 * ack, the claimed jobs and when the next timed event is due.
 */
export function take(connection: RedisConnection, keys: QueueKeys, input: TakeCall): Promise<TakeResult> {
  return takeScript(connection, keys, input);
}

/**
 * Renews the leases of `runs` by `leaseMs`. Returns the ids of the runs whose lease was lost, and of those whose job
 * was cancelled while they ran.
 */
export function extendLeases(
  connection: RedisConnection,
  keys: QueueKeys,
  input: { leaseMs: number; runs: readonly HeldRun[] },
): Promise<ExtendResult> {
  return extend(connection, keys, input);
}

/** What became of a progress value: stored, not stored because the lease is lost, or over `maxBytes`. */
export type ProgressOutcome = "recorded" | "lease-lost" | "too-large";

/** Stores `json` as the progress of a run, while the run still holds its lease. */
export async function recordProgress(
  connection: RedisConnection,
  keys: QueueKeys,
  input: HeldRun & { json: string; maxBytes: number },
): Promise<ProgressOutcome> {
  const reply = await progress(connection, keys, {
    id: input.id,
    token: input.token,
    value: input.json,
    maxBytes: input.maxBytes,
  });
  return reply === PROGRESS_REPLY.tooLarge
    ? "too-large"
    : reply === PROGRESS_REPLY.recorded
      ? "recorded"
      : "lease-lost";
}

/** Holds every claim of the queue for `ms` milliseconds (`ctx.rateLimit`). Returns when the hold ends (Redis clock). */
export function holdQueueClaims(connection: RedisConnection, keys: QueueKeys, ms: number): Promise<number> {
  return holdClaims(connection, keys, { ms });
}

/** A run that ended with its process: what to record for it. */
export interface LostRun extends HeldRun {
  /** The error to record, as stored in the job (`name`, `code`, `message`). */
  error: { name: string; code: string; message: string };
  /** Delay before the retry, in milliseconds; -1 = no retry. */
  retryDelayMs: number;
  /** Whether this counts as a stall (the process died) rather than a run killed for overrunning its timeout. */
  stalled: boolean;
}

/** What became of a lost run: retried, dead-lettered, or untouched (no longer active under its token). */
export type LostRunOutcome = "retrying" | "failed" | "unchanged";

const OUTCOMES: Record<string, LostRunOutcome> = {
  [CRASHED_OUTCOME.retrying]: "retrying",
  [CRASHED_OUTCOME.failed]: "failed",
  [CRASHED_OUTCOME.unchanged]: "unchanged",
};

/**
 * Fails runs whose process died or was killed, at once (fenced by token): each counts as a failed run, retried
 * while the job has retries left, then dead-lettered.
 */
export async function failLostRuns(
  connection: RedisConnection,
  keys: QueueKeys,
  runs: readonly LostRun[],
): Promise<LostRunOutcome[]> {
  if (runs.length === 0) return [];
  const reply = await crashed(connection, keys, { runs });
  return runs.map((_, i) => OUTCOMES[reply[i] ?? CRASHED_OUTCOME.unchanged] ?? "unchanged");
}

/**
 * Hands runs back to the front of their queue without counting the run (fenced by token), as `Worker.close` does
 * for jobs it could not finish. Returns how many were handed back.
 */
export async function releaseRuns(
  connection: RedisConnection,
  keys: QueueKeys,
  runs: readonly HeldRun[],
): Promise<number> {
  if (runs.length === 0) return 0;
  return release(connection, keys, { runs });
}

/**
 * Hands back the jobs claimed under `workerId` that are not among `held` (id and token of the runs the worker, or
 * its supervisor, knows about): claims whose reply was lost, or that a process took with it when it died. They go
 * to the front of their queue without counting the run, instead of waiting for their leases to expire. Call it
 * only when that worker has no claim call in flight (it is dead, or its last claim call has failed). Returns how
 * many jobs were handed back.
 */
export function recoverClaims(
  connection: RedisConnection,
  keys: QueueKeys,
  workerId: string,
  held: readonly HeldRun[] = [],
): Promise<number> {
  return recover(connection, keys, { workerId, held });
}
