import { readFileSync } from "node:fs";
import type { JobInfo } from "@tq/client";

/** One run of a job, as a worker process recorded it when the run began. */
export interface Execution {
  id: string;
  pid: number;
  attempt: number;
}

/** Every run recorded in the ledger file, in the order they began. */
export function readLedger(path: string): Execution[] {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch {
    return [];
  }
  return text
    .split("\n")
    .filter((line) => line.length > 0)
    .map((line) => {
      const [id = "", pid = "0", attempt = "0"] = line.split(" ");
      return { id, pid: Number(pid), attempt: Number(attempt) };
    });
}

/** The runs of each job id. */
export function executionsById(executions: readonly Execution[]): Map<string, Execution[]> {
  const byId = new Map<string, Execution[]>();
  for (const execution of executions) {
    const list = byId.get(execution.id) ?? [];
    list.push(execution);
    byId.set(execution.id, list);
  }
  return byId;
}

/** How many runs of the job ended because their lease expired (recorded as `LEASE_LOST` errors). */
export function leaseExpiries(info: JobInfo): number {
  return (info.errors ?? []).filter((error) => error.code === "LEASE_LOST").length;
}

/**
 * Jobs whose record of executions breaks the delivery contract: never ran, ran more often than one run plus one
 * per expired lease, or ran twice under the same attempt number (two runs from one claim).
 */
export function unexplainedExecutions(
  infos: readonly JobInfo[],
  executions: readonly Execution[],
): Array<{ id: string; runs: Execution[]; leaseExpiries: number }> {
  const byId = executionsById(executions);
  const out: Array<{ id: string; runs: Execution[]; leaseExpiries: number }> = [];
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
