/** One scenario-specific assertion, checked by the tests and listed by the runner. */
export interface Check {
  /** What must hold, as a sentence. */
  name: string;
  ok: boolean;
  /** What was seen, when it is worth saying (always said when the check failed). */
  detail?: string;
}

/** The counts of one run after quiescence, shared by the analysis and the scenario result. */
export interface Tally {
  /** Enqueues that resolved (acknowledged by Redis). */
  enqueued: number;
  /** Acknowledged jobs that did not end `completed` or `failed` (missing, or stuck in another state). */
  lost: number;
  lostIds: string[];
  completed: number;
  failed: number;
  /** Handler starts recorded in the ledger. */
  executions: number;
  /** Executions beyond the first of each job. */
  duplicates: number;
  /** Duplicates explained by an expired lease or a process that died (LEASE_LOST errors, the pool's crash records, runs handed back by a process that was stopped). */
  byLease: number;
  /** Duplicates explained by a recorded failed run that was retried (TIMEOUT, a handler error). */
  byRetry: number;
  /** Duplicates nothing explains: a broken guarantee. */
  unexplained: number;
  unexplainedIds: string[];
  /** Jobs that ended or started too early: completed before their handler could have returned, started before their run time, or dead-lettered with retries left. */
  early: number;
  earlyIds: string[];
  /** Completed jobs whose stored result is not that of their latest run (a late acknowledgement was accepted). */
  stale: number;
  staleIds: string[];
  /** Claims that never reached a handler and waited for their lease or the pool's crash record (see Analysis). */
  claimsNeverRun: number;
}

/** What one scenario measured: the row of the reliability table, plus what the tests assert on. */
export interface ScenarioResult extends Tally {
  id: string;
  title: string;
  /** The fault, as injected. */
  fault: string;
  /** Whether Redis keeps its data through this fault (then nothing acknowledged may be lost). */
  redisKeepsData: boolean;
  /** Whether the queue drained (nothing scheduled, pending or active) before the analysis. */
  quiesced: boolean;
  /** From the end of the fault until consumption resumed, in milliseconds (see `recovery`). */
  recoveryMs: number | undefined;
  /** What `recoveryMs` measures in this scenario. */
  recovery: string;
  /** Wall time of the whole scenario, in milliseconds. */
  durationMs: number;
  checks: Check[];
  /** Other observations worth a line in the report. */
  notes: string[];
}

/** A scenario of the suite: the tests and the runner call `run`. */
export interface Scenario {
  id: string;
  title: string;
  run(): Promise<ScenarioResult>;
}

/** A check built from a condition. */
export function check(name: string, ok: boolean, detail?: string): Check {
  return detail === undefined ? { name, ok } : { name, ok, detail };
}
