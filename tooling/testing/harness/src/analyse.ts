import type { JobInfo } from "@tq/client";
import { byJob, type LedgerEntry } from "./ledger.js";
import type { Scenario } from "./scenario.js";

/** Error codes that end a job without retries: a job failed with one of them has not ended early. */
const FINAL_CODES = new Set(["DECODE", "UNKNOWN_TASK", "VALIDATION"]);

/** How many acknowledged jobs to sample in the lists of ids the report shows. */
const SAMPLE = 10;

/** The counts of one run after quiescence. */
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

/** What the analysis after quiescence found. */
export interface Analysis extends Tally {
  quiesced: boolean;
  /** The final record of every analysed job (null: it does not exist). */
  infos: Map<string, JobInfo | null>;
  /** The raw `runAt` field of every analysed job that has one (Redis clock, epoch ms). */
  runAt: Map<string, number>;
  ledger: LedgerEntry[];
  /** Execution starts by job id. */
  runs: Map<string, LedgerEntry[]>;
  /** The jobs those claims belonged to. */
  strandedIds: string[];
}

function push(list: string[], value: string): void {
  if (list.length < SAMPLE) list.push(value);
}

/** How long the last run of a `work`/`spin` job must have taken, in milliseconds (0 when unknown). */
function minDurationMs(info: JobInfo): number {
  const args = info.args as { ms?: unknown; firstMs?: unknown; spinFirstMs?: unknown } | undefined;
  if (!args || typeof args !== "object") return 0;
  const first = info.attempts === 1;
  const slept = first && typeof args.firstMs === "number" ? args.firstMs : args.ms;
  let ms = typeof slept === "number" && slept > 0 ? slept : 0;
  if (first && typeof args.spinFirstMs === "number") ms += args.spinFirstMs;
  return ms;
}

/** Reads the final record of each job, in pipelined chunks. */
async function readJobs(scenario: Scenario, ids: readonly string[]) {
  const infos = new Map<string, JobInfo | null>();
  const runAt = new Map<string, number>();
  for (let i = 0; i < ids.length; i += 500) {
    const chunk = ids.slice(i, i + 500);
    const [jobs, raw] = await Promise.all([
      Promise.all(chunk.map((id) => scenario.queue.getJob(id))),
      Promise.all(chunk.map((id) => scenario.admin.hGet(scenario.keys.job(id), "runAt"))),
    ]);
    chunk.forEach((id, j) => {
      infos.set(id, jobs[j] ?? null);
      const at = Number(raw[j]);
      if (raw[j] && Number.isFinite(at) && at > 0) runAt.set(id, at);
    });
  }
  return { infos, runAt };
}

/**
 * Waits for the queue to drain, then checks every acknowledged job against the ledger and the pools' records:
 * lost jobs, executions beyond the first and what explains them, jobs that ended or started early, stale results.
 */
export async function analyse(
  scenario: Scenario,
  options: { ids?: readonly string[]; quiesceMs?: number } = {},
): Promise<Analysis> {
  const quiesced = await scenario.quiesce(options.quiesceMs);
  const ids = options.ids ?? [...scenario.producer.acked.keys()];
  const { infos, runAt } = await readJobs(scenario, ids);
  const ledger = scenario.ledger();
  const runs = byJob(ledger.filter((e) => e.kind === "S"));
  const closedAborts = byJob(ledger.filter((e) => e.kind === "A" && e.code === "CLOSED"));
  const released = new Map<string, number>();
  for (const handle of scenario.pools) {
    for (const exit of handle.exits) {
      for (const run of exit.runs) {
        if (run.outcome === "released") released.set(run.id, (released.get(run.id) ?? 0) + 1);
      }
    }
  }

  const a: Analysis = {
    quiesced,
    infos,
    runAt,
    ledger,
    runs,
    enqueued: ids.length,
    lost: 0,
    lostIds: [],
    completed: 0,
    failed: 0,
    executions: 0,
    duplicates: 0,
    byLease: 0,
    byRetry: 0,
    unexplained: 0,
    unexplainedIds: [],
    early: 0,
    earlyIds: [],
    stale: 0,
    staleIds: [],
    claimsNeverRun: 0,
    strandedIds: [],
  };

  for (const id of ids) {
    const info = infos.get(id) ?? null;
    const jobRuns = runs.get(id) ?? [];
    a.executions += jobRuns.length;
    if (!info || (info.status !== "completed" && info.status !== "failed")) {
      a.lost++;
      push(a.lostIds, `${id} (${info ? info.status : "missing"})`);
      continue;
    }
    if (info.status === "completed") a.completed++;
    else a.failed++;

    // What explains executions beyond the first: the end of each earlier run, as recorded.
    const errors = info.errors ?? [];
    const ranAttempts = new Set(jobRuns.map((r) => r.attempt));
    const neverRun = errors.filter(
      (e) => e.code === "LEASE_LOST" && typeof e.attempt === "number" && !ranAttempts.has(e.attempt),
    ).length;
    if (neverRun > 0) {
      a.claimsNeverRun += neverRun;
      a.strandedIds.push(id);
    }
    let leaseEnds = errors.filter((e) => e.code === "LEASE_LOST").length;
    let retryEnds = errors.length - leaseEnds;
    if (info.status === "failed" && errors.length > 0) {
      // the last error ended the last run, not an earlier one
      if (errors[errors.length - 1]?.code === "LEASE_LOST") leaseEnds--;
      else retryEnds--;
    }
    const handedBack = (released.get(id) ?? 0) + (closedAborts.get(id)?.length ?? 0);
    leaseEnds += handedBack;
    const extra = Math.max(0, jobRuns.length - 1);
    const lease = Math.min(extra, leaseEnds);
    const retry = Math.min(extra - lease, retryEnds);
    // Two runs under one attempt number come from one claim, unless the run was handed back uncounted.
    const sameAttempt = jobRuns.length - new Set(jobRuns.map((r) => r.attempt)).size;
    const unexplained = Math.max(extra - lease - retry, sameAttempt - handedBack);
    a.duplicates += extra;
    a.byLease += lease;
    a.byRetry += retry;
    if (unexplained > 0) {
      a.unexplained += unexplained;
      push(
        a.unexplainedIds,
        `${id} (${jobRuns.map((r) => `pid ${r.pid} attempt ${r.attempt}`).join(", ")}; errors ${errors.map((e) => e.code ?? e.name).join(",") || "none"})`,
      );
    }

    // Early: started before its run time, completed before its handler could have returned, completed without
    // ever running, or dead-lettered with retries left for a reason that allows retries.
    const reasons: string[] = [];
    const at = runAt.get(id);
    if (at !== undefined && info.startedAt !== undefined && info.startedAt < at) {
      reasons.push(`started ${at - info.startedAt} ms before its run time`);
    }
    if (info.status === "completed") {
      if (jobRuns.length === 0) reasons.push("completed without an execution");
      const min = minDurationMs(info);
      if (
        info.startedAt !== undefined &&
        info.finishedAt !== undefined &&
        info.finishedAt - info.startedAt < min - 1
      ) {
        reasons.push(
          `completed ${info.finishedAt - info.startedAt} ms after its last claim; its handler takes ${min} ms`,
        );
      }
    } else {
      const last = errors[errors.length - 1];
      const final = last && (FINAL_CODES.has(last.code ?? "") || last.name === "UnrecoverableError");
      if (!final && info.attempts < info.maxRetries + 1) {
        reasons.push(
          `failed after ${info.attempts} of ${info.maxRetries + 1} runs (${last?.code ?? "no error"})`,
        );
      }
    }
    if (reasons.length > 0) {
      a.early++;
      push(a.earlyIds, `${id}: ${reasons.join("; ")}`);
    }

    // Stale: the stored result must come from the latest run (a late ack from an older run must be refused).
    const result = info.result as { pid?: unknown; attempt?: unknown } | undefined;
    if (info.status === "completed" && result && typeof result === "object" && "pid" in result) {
      const maxAttempt = Math.max(...jobRuns.map((r) => r.attempt));
      const latest = jobRuns.filter((r) => r.attempt === maxAttempt);
      const fromLatest = result.attempt === maxAttempt && latest.some((r) => r.pid === result.pid);
      if (!fromLatest) {
        a.stale++;
        push(
          a.staleIds,
          `${id}: result of pid ${String(result.pid)} attempt ${String(result.attempt)}, latest run attempt ${maxAttempt}`,
        );
      }
    }
  }
  return a;
}
