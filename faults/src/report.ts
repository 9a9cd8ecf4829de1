import type { ScenarioResult } from "./result.js";

/** A scenario that threw before it could report (its row says so). */
export interface ScenarioFailure {
  id: string;
  title: string;
  error: string;
}

/** The machine and versions the run was measured on. */
export interface RunContext {
  date: string;
  machine: string;
  versions: string;
  source: string;
  command: string;
  totalMs: number;
}

const fmt = (n: number) => n.toLocaleString("en-US");

function recoveryCell(result: ScenarioResult): string {
  if (result.recoveryMs === undefined) return result.recovery.startsWith("no ") ? "—" : "never";
  return result.recoveryMs >= 10_000
    ? `${(result.recoveryMs / 1000).toFixed(1)} s`
    : `${fmt(result.recoveryMs)} ms`;
}

function lostCell(result: ScenarioResult): string {
  return result.redisKeepsData ? fmt(result.lost) : `${fmt(result.lost)} (measured)`;
}

/** The generated part of docs/reliability.md: how it was measured, the table, and each scenario's details. */
export function renderReport(
  results: ReadonlyArray<ScenarioResult | ScenarioFailure>,
  context: RunContext,
): string {
  const lines: string[] = [];
  lines.push(`Measured ${context.date} on ${context.machine}; ${context.versions}. ${context.source}`);
  lines.push("");
  lines.push("Reproduce (from the repository root; the suite starts its own `redis-server` per scenario):");
  lines.push("");
  lines.push("```sh");
  lines.push(context.command);
  lines.push("```");
  lines.push("");
  lines.push(
    `${results.length} scenarios in ${(context.totalMs / 60_000).toFixed(1)} min. Each runs a WorkerPool (2 processes unless said otherwise) against its own redis-server, ` +
      "queue and ledger; every execution is recorded outside Redis by the handler (`tooling/testing/harness/fixtures/handlers.mjs`), and every acknowledged job is checked once the queue is drained.",
  );
  lines.push("");
  lines.push(
    "| scenario | enqueued | lost | executions | duplicates | by lease/crash | by retry | unexplained | early | recovery | checks |",
  );
  lines.push("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|");
  for (const r of results) {
    if (!("enqueued" in r)) {
      lines.push(
        `| ${r.title} | — | — | — | — | — | — | — | — | — | **error**: ${r.error.replace(/\|/g, "\\|").slice(0, 200)} |`,
      );
      continue;
    }
    const failed = r.checks.filter((c) => !c.ok).length;
    const checks = failed === 0 ? `${r.checks.length} ✓` : `**${failed} of ${r.checks.length} failed**`;
    lines.push(
      `| ${r.title} | ${fmt(r.enqueued)} | ${lostCell(r)} | ${fmt(r.executions)} | ${fmt(r.duplicates)} | ${fmt(r.byLease)} | ${fmt(r.byRetry)} | ${fmt(r.unexplained)} | ${fmt(r.early + r.stale)} | ${recoveryCell(r)} | ${checks} |`,
    );
  }
  lines.push("");
  lines.push(
    "Columns: **enqueued** — enqueues acknowledged by Redis; **lost** — acknowledged jobs that did not end `completed` or `failed`; " +
      "**executions** — handler starts in the ledger; **duplicates** — executions beyond each job's first, split into those explained by an " +
      "expired lease or a dead/stopped process (`LEASE_LOST` errors, the pool's crash records, runs handed back on shutdown) and those explained by " +
      "a recorded failed run that was retried (`TIMEOUT`, handler errors); **unexplained** — duplicates nothing explains; **early** — jobs that " +
      "started before their run time, completed before their handler could have returned, were dead-lettered with retries left, or whose stored " +
      "result is not their latest run's; **recovery** — see each scenario below.",
  );
  lines.push("");
  for (const r of results) {
    lines.push(`### ${r.title}`);
    lines.push("");
    if (!("enqueued" in r)) {
      lines.push(`The scenario failed to run: ${r.error}`);
      lines.push("");
      continue;
    }
    lines.push(
      `Fault: ${r.fault}. Recovery: ${r.recovery}. Scenario time ${(r.durationMs / 1000).toFixed(1)} s.`,
    );
    lines.push("");
    for (const c of r.checks)
      lines.push(`- ${c.ok ? "✓" : "✗"} ${c.name}${c.detail ? ` (${c.detail})` : ""}`);
    for (const note of r.notes) lines.push(`- ${note}`);
    if (r.claimsNeverRun > 0) {
      lines.push(
        `- ${r.claimsNeverRun} claim(s) never reached a handler (the claim's reply was lost, or its process died first) and were recovered by their lease or the pool's crash record`,
      );
    }
    for (const [label, ids] of [
      ["lost", r.lostIds],
      ["unexplained", r.unexplainedIds],
      ["early", r.earlyIds],
      ["stale result", r.staleIds],
    ] as const) {
      if (ids.length > 0) lines.push(`- ${label}: ${ids.join("; ")}`);
    }
    lines.push("");
  }
  return lines.join("\n");
}

export const REPORT_START = "<!-- faults:start -->";
export const REPORT_END = "<!-- faults:end -->";

/** Puts the generated block between the markers of an existing document (or makes a minimal one). */
export function spliceReport(document: string | undefined, block: string): string {
  const generated = `${REPORT_START}\n${block}\n${REPORT_END}`;
  if (document?.includes(REPORT_START) && document.includes(REPORT_END)) {
    const before = document.slice(0, document.indexOf(REPORT_START));
    const after = document.slice(document.indexOf(REPORT_END) + REPORT_END.length);
    return `${before}${generated}${after}`;
  }
  return `# Reliability under faults\n\n${generated}\n`;
}
