import type { RedisConnection } from "@tq/connection";
import { CRASHED_OUTCOME, crashed, type QueueKeys, recover, release } from "@tq/protocol";

/** A run that ended with its process: what to record for it. */
export interface LostRun {
  id: string;
  token: string;
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
  return runs.map((_, i) => OUTCOMES[reply[i] ?? "l"] ?? "unchanged");
}

/**
 * Hands runs back to the front of their queue without counting the run (fenced by token), as `Worker.close` does
 * for jobs it could not finish. Returns how many were handed back.
 */
export async function releaseRuns(
  connection: RedisConnection,
  keys: QueueKeys,
  runs: ReadonlyArray<{ id: string; token: string }>,
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
export async function recoverClaims(
  connection: RedisConnection,
  keys: QueueKeys,
  workerId: string,
  held: ReadonlyArray<{ id: string; token: string }> = [],
): Promise<number> {
  return recover(connection, keys, { workerId, held });
}
