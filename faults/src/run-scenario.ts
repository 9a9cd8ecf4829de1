import { type Analysis, Scenario } from "@tq/harness";
import type { RedisServerOptions } from "@tq/testing";
import type { Check, ScenarioResult } from "./result.js";

/** What a scenario is, before it runs. */
export interface ScenarioMeta {
  id: string;
  title: string;
  /** The fault, as injected (one sentence for the report). */
  fault: string;
  /** How its private redis-server runs. */
  redis?: RedisServerOptions;
  /** Whether Redis keeps its data through the fault. @defaultValue true */
  redisKeepsData?: boolean;
}

/** What a scenario's body reports after injecting its fault and analysing the outcome. */
export interface Outcome {
  analysis: Analysis;
  recoveryMs?: number | undefined;
  /** What recoveryMs measures here. */
  recovery: string;
  /**
   * When the fault ended (epoch ms), for faults that can cut a claim's reply (connections, Redis): recovery then
   * also waits for every job whose claim never reached a handler to run.
   */
  faultEnd?: number | number[];
  checks?: Check[];
  notes?: string[];
}

/**
 * Runs a scenario's body in a fresh {@link Scenario} and turns its outcome into a result; the scenario is always torn
 * down.
 */
export async function runScenario(
  meta: ScenarioMeta,
  body: (lab: Scenario) => Promise<Outcome>,
): Promise<ScenarioResult> {
  const started = Date.now();
  const lab = await Scenario.start({ label: meta.id, redis: meta.redis });
  let outcome: Outcome;
  try {
    outcome = await body(lab);
  } finally {
    await lab.close();
  }
  const a = outcome.analysis;
  let recoveryMs = outcome.recoveryMs;
  let recovery = outcome.recovery;
  if (outcome.faultEnd !== undefined && a.strandedIds.length > 0) {
    const ends = [outcome.faultEnd].flat().sort((x, y) => x - y);
    let stranded = 0;
    for (const id of a.strandedIds) {
      const first = ends[0] ?? 0;
      const next = a.runs.get(id)?.find((r) => r.at >= first);
      if (!next) continue;
      // measured from the last fault before the run that recovered it
      const after = ends.filter((end) => end <= next.at).at(-1) ?? first;
      stranded = Math.max(stranded, next.at - after);
    }
    if (recoveryMs !== undefined && stranded > recoveryMs) {
      recoveryMs = stranded;
      recovery = `${recovery}; here longer: until the last job whose claim never reached a handler ran (its lease had to expire)`;
    }
  }
  return {
    id: meta.id,
    title: meta.title,
    fault: meta.fault,
    redisKeepsData: meta.redisKeepsData ?? true,
    enqueued: a.enqueued,
    lost: a.lost,
    lostIds: a.lostIds,
    completed: a.completed,
    failed: a.failed,
    executions: a.executions,
    duplicates: a.duplicates,
    byLease: a.byLease,
    byRetry: a.byRetry,
    unexplained: a.unexplained,
    unexplainedIds: a.unexplainedIds,
    early: a.early,
    earlyIds: a.earlyIds,
    stale: a.stale,
    staleIds: a.staleIds,
    claimsNeverRun: a.claimsNeverRun,
    quiesced: a.quiesced,
    recoveryMs: recoveryMs === undefined ? undefined : Math.round(recoveryMs),
    recovery,
    durationMs: Date.now() - started,
    checks: outcome.checks ?? [],
    notes: outcome.notes ?? [],
  };
}

/** A small work job: sleeps `ms` (5–20 ms by default, varying with i). */
export function workJob(i: number, ms = 5 + (i % 4) * 5) {
  return { task: "work", args: { ms } };
}
