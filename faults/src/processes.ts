import { type ChildProcess, spawn } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));

/** The handlers module the pools' children run. */
export const handlersModule = join(here, "..", "fixtures", "handlers.mjs");

/** The `--import` module that shifts a child's clock by TQ_FAULTS_CLOCK_SHIFT_MS. */
export const clockShiftModule = join(here, "..", "fixtures", "clock-shift.mjs");

/** The compiled `tq-worker` bin of @tq/worker. */
export const workerBin = join(here, "..", "node_modules", "@tq", "worker", "dist", "bin.js");

/** Whether a process exists and has not exited (a zombie not yet reaped counts as gone). */
export function isAlive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
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

/** The pids of the live children of a process (like `pgrep -P <pid>`), read from /proc. */
export function childPids(parent: number): number[] {
  const out: number[] = [];
  let entries: string[];
  try {
    entries = readdirSync("/proc");
  } catch {
    return out;
  }
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      if (Number(fields[1]) === parent && fields[0] !== "Z") out.push(Number(entry));
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

/** Sends a signal if the process is still there. */
export function signal(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch {
    // already gone
  }
}

/** A process started by a scenario (the `tq-worker` bin), with its output kept. */
export interface Spawned {
  proc: ChildProcess;
  stdout(): string;
  stderr(): string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Runs a Node script with arguments and environment; its output is kept in memory. */
export function spawnNode(script: string, args: string[], env: NodeJS.ProcessEnv): Spawned {
  const proc = spawn(process.execPath, [script, ...args], { env, stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  let err = "";
  proc.stdout?.on("data", (chunk: Buffer) => {
    out += chunk.toString();
  });
  proc.stderr?.on("data", (chunk: Buffer) => {
    err += chunk.toString();
  });
  // "exit", not "close": orphaned children may still hold the pipes.
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    proc.once("exit", (code, sig) => resolve({ code, signal: sig })),
  );
  return { proc, stdout: () => out, stderr: () => err, exited };
}
