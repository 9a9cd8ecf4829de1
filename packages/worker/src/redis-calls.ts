// Every Lua script the worker package calls, one function per script: the argument lists and reply shapes live here
// and nowhere else.
import {
  crashedKeys,
  extendKeys,
  parseTakeReply,
  progressKeys,
  type RedisConnection,
  recoverKeys,
  releaseKeys,
  runScript,
  scripts,
  type TakeResult,
  takeKeys,
} from "@tq/client/internal";
import type { QueueKeys } from "@tq/job-schema";

/** A claim, by job id and fencing token. */
interface Claim {
  id: string;
  token: string;
}

/** An outcome to record: `c` completed with `payload` (the result's JSON), `f` failed with `payload` (the error's). */
export interface AckInput extends Claim {
  op: "c" | "f";
  payload: string;
  /** For a failure: how long before the retry, in milliseconds; -1 = no retry. */
  delayMs: number;
}

export interface TakeInput {
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
export function take(connection: RedisConnection, keys: QueueKeys, input: TakeInput): Promise<TakeResult> {
  const { acks } = input;
  const args = [
    String(input.leaseMs),
    String(input.claim),
    String(acks.length),
    input.workerId,
    String(input.maxResultBytes),
  ];
  for (const ack of acks) args.push(ack.id, ack.token, ack.op, ack.payload, String(ack.delayMs));
  return runScript<unknown[]>(connection, scripts.take, takeKeys(keys, input.workerId), args).then(
    parseTakeReply,
  );
}

/** Renews the leases of `runs` by `leaseMs`. Returns the ids of the runs whose lease was lost. */
export function extendLeases(
  connection: RedisConnection,
  keys: QueueKeys,
  input: { leaseMs: number; runs: readonly Claim[] },
): Promise<string[]> {
  const args = [String(input.leaseMs)];
  for (const run of input.runs) args.push(run.id, run.token);
  return runScript<string[]>(connection, scripts.extend, extendKeys(keys), args);
}

/** What became of a progress value: stored, not stored because the lease is lost, or over `maxBytes`. */
export type ProgressOutcome = "recorded" | "lease-lost" | "too-large";

/** Stores `json` as the progress of a run, while the run still holds its lease. */
export async function recordProgress(
  connection: RedisConnection,
  keys: QueueKeys,
  input: Claim & { json: string; maxBytes: number },
): Promise<ProgressOutcome> {
  const reply = await runScript<number>(connection, scripts.progress, progressKeys(keys), [
    input.id,
    input.token,
    input.json,
    String(input.maxBytes),
  ]);
  const code = Number(reply);
  return code === -1 ? "too-large" : code === 1 ? "recorded" : "lease-lost";
}

/** A run that ended with its process: what to record for it. */
export interface LostRun extends Claim {
  /** The error to record, as stored in the job (`name`, `code`, `message`). */
  error: { name: string; code: string; message: string };
  /** Delay before the retry, in milliseconds; -1 = no retry. */
  retryDelayMs: number;
  /** Whether this counts as a stall (the process died) rather than a run killed for overrunning its timeout. */
  stalled: boolean;
}

/** What became of a lost run: retried, dead-lettered, or untouched (no longer active under its token). */
export type LostRunOutcome = "retrying" | "failed" | "unchanged";

const OUTCOMES: Record<string, LostRunOutcome> = { r: "retrying", f: "failed", l: "unchanged" };

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
  const args: string[] = [];
  for (const run of runs) {
    args.push(
      run.id,
      run.token,
      String(Math.round(run.retryDelayMs)),
      run.stalled ? "1" : "0",
      JSON.stringify(run.error),
    );
  }
  const reply = String(await runScript<string>(connection, scripts.crashed, crashedKeys(keys), args));
  return runs.map((_, i) => OUTCOMES[reply[i] ?? "l"] ?? "unchanged");
}

/**
 * Hands runs back to the front of their queue without counting the run (fenced by token), as `Worker.close` does
 * for jobs it could not finish. Returns how many were handed back.
 */
export async function releaseRuns(
  connection: RedisConnection,
  keys: QueueKeys,
  runs: readonly Claim[],
): Promise<number> {
  if (runs.length === 0) return 0;
  const args: string[] = [];
  for (const run of runs) args.push(run.id, run.token);
  return Number(await runScript<number>(connection, scripts.release, releaseKeys(keys), args));
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
  held: readonly Claim[] = [],
): Promise<number> {
  const args = [workerId];
  for (const run of held) args.push(run.id, run.token);
  return Number(await runScript<number>(connection, scripts.recover, recoverKeys(keys, workerId), args));
}
