import { readFileSync } from "node:fs";
import type { JobInfo } from "@tq/client";

/** One line of the ledger the handlers in fixtures/handlers.mjs append to (see that file). */
export interface LedgerEntry {
  /** S: the handler started (one per execution), E: it returned, A: the run was aborted. */
  kind: "S" | "E" | "A";
  id: string;
  pid: number;
  attempt: number;
  /** Wall-clock epoch milliseconds (real clock, even in a process whose Date is shifted). */
  at: number;
  /** For `A`: the abort reason's code (CLOSED, LEASE_LOST, TIMEOUT, ...). */
  code?: string;
}

/** Every ledger line, in the order they were written. */
export function readLedger(path: string): LedgerEntry[] {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch {
    return [];
  }
  const out: LedgerEntry[] = [];
  for (const line of text.split("\n")) {
    const [kind, id, pid, attempt, at, code] = line.split(" ");
    if ((kind !== "S" && kind !== "E" && kind !== "A") || !id) continue;
    const entry: LedgerEntry = { kind, id, pid: Number(pid), attempt: Number(attempt), at: Number(at) };
    if (code) entry.code = code;
    out.push(entry);
  }
  return out;
}

/** The execution starts (`S` lines) only: one per run of a job. */
export function starts(ledger: readonly LedgerEntry[]): LedgerEntry[] {
  return ledger.filter((e) => e.kind === "S");
}

/** Entries grouped by job id, in ledger order. */
export function byJob(entries: readonly LedgerEntry[]): Map<string, LedgerEntry[]> {
  const out = new Map<string, LedgerEntry[]>();
  for (const entry of entries) {
    const list = out.get(entry.id);
    if (list) list.push(entry);
    else out.set(entry.id, [entry]);
  }
  return out;
}

/** How many execution starts the ledger holds (cheap enough to poll while waiting for progress). */
export function countStarts(path: string): number {
  try {
    return readFileSync(path, "utf8")
      .split("\n")
      .filter((line) => line.startsWith("S ")).length;
  } catch {
    return 0;
  }
}

/**
 * The time from `after` until the first execution start at or after it, per process, and the longest of those:
 * how long until every given process was running jobs again. Undefined when one of them never started a job again.
 */
export function resumedAfter(
  ledger: readonly LedgerEntry[],
  after: number,
  pids: readonly number[],
): number | undefined {
  let worst = 0;
  for (const pid of pids) {
    const first = ledger.find((e) => e.kind === "S" && e.pid === pid && e.at >= after);
    if (!first) return undefined;
    worst = Math.max(worst, first.at - after);
  }
  return worst;
}

/** The runs a process has started and not finished (no `E` or `A` line yet), by job id. */
export function inFlight(ledger: readonly LedgerEntry[], pid: number): string[] {
  const open = new Map<string, number>();
  for (const e of ledger) {
    if (e.pid !== pid) continue;
    const key = `${e.id} ${e.attempt}`;
    if (e.kind === "S") open.set(key, (open.get(key) ?? 0) + 1);
    else {
      const n = (open.get(key) ?? 0) - 1;
      if (n > 0) open.set(key, n);
      else open.delete(key);
    }
  }
  return [...open.keys()].map((key) => key.split(" ")[0] as string);
}

/** The process with the most runs in flight, and those runs. */
export function busiest(
  ledger: readonly LedgerEntry[],
  pids: readonly number[],
): { pid: number; ids: string[] } {
  let best = { pid: pids[0] ?? 0, ids: [] as string[] };
  for (const pid of pids) {
    const ids = inFlight(ledger, pid);
    if (ids.length > best.ids.length) best = { pid, ids };
  }
  return best;
}

/** How many runs of the job ended because their lease expired (recorded as `LEASE_LOST` errors). */
export function leaseExpiries(info: JobInfo): number {
  return (info.errors ?? []).filter((error) => error.code === "LEASE_LOST").length;
}

/**
 * Jobs whose record of executions breaks the delivery contract with nothing but lease expiries to explain extra
 * runs: never ran, ran more often than one run plus one per expired lease, or ran twice under the same attempt
 * number (two runs from one claim). The suites where runs are also retried or handed back use {@link analyse}.
 */
export function unexplainedExecutions(
  infos: readonly JobInfo[],
  ledger: readonly LedgerEntry[],
): Array<{ id: string; runs: LedgerEntry[]; leaseExpiries: number }> {
  const byId = byJob(starts(ledger));
  const out: Array<{ id: string; runs: LedgerEntry[]; leaseExpiries: number }> = [];
  for (const info of infos) {
    const runs = byId.get(info.id) ?? [];
    const expiries = leaseExpiries(info);
    const attempts = new Set(runs.map((r) => r.attempt));
    if (runs.length === 0 || runs.length > 1 + expiries || attempts.size !== runs.length) {
      out.push({ id: info.id, runs, leaseExpiries: expiries });
    }
  }
  return out;
}
