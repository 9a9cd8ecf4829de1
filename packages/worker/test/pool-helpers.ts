// Helpers shared by the WorkerPool tests (pool*.test.ts).
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type {} from "../../../tooling/testing/src/global-setup.js";

const here = dirname(fileURLToPath(import.meta.url));

/** The absolute path of a handlers module in test/fixtures. */
export function fixture(name: string): string {
  return join(here, "fixtures", name);
}

/** The compiled tq-worker bin. */
export const binPath = join(here, "..", "dist", "bin.js");

/** Whether a process exists and has not exited (an exited child not yet reaped by its new parent counts as gone). */
export function isAlive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // "<pid> (<comm>) <state> ...": the state follows the last ")".
    const state = stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3);
    return state !== "Z" && state !== "X";
  } catch {
    try {
      process.kill(pid, 0);
      return true;
    } catch {
      return false;
    }
  }
}
