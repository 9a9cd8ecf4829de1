import { type ChildProcess, spawn } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";

/** A JSON line a process wrote to stdout (the fixtures report their lifecycle this way). */
export interface ProcessEvent {
  pid: number;
  event: string;
  code?: string;
  message?: string;
  created?: string[];
}

/** How a process ended. */
export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** Options for {@link spawnNode}. */
export interface SpawnNodeOptions {
  /** Arguments after the script. */
  args?: readonly string[];
  /** Node options before the script (`--import tsx`, a clock-shift module). */
  execArgv?: readonly string[];
  /** The whole environment of the process. @defaultValue process.env */
  env?: NodeJS.ProcessEnv;
  /** The working directory (where `--import` specifiers are resolved from). */
  cwd?: string;
  /** `inherit` shows the process's stderr in the test output; `keep` keeps it for {@link NodeProcess.stderr}. @defaultValue "keep" */
  stderr?: "inherit" | "keep";
}

/** A Node process started by a test, with its output kept and its JSON lines parsed into events. */
export class NodeProcess {
  readonly child: ChildProcess;
  /** The JSON lines it wrote to stdout, in order. */
  readonly events: ProcessEvent[] = [];
  /** Resolves on "exit", not "close": orphaned children of the process may still hold its pipes. */
  readonly exited: Promise<Exit>;
  #exit: Exit | undefined;
  #stdout = "";
  #stderr = "";
  #pending = "";
  readonly #listeners = new Set<() => void>();

  constructor(script: string, options: SpawnNodeOptions = {}) {
    this.child = spawn(process.execPath, [...(options.execArgv ?? []), script, ...(options.args ?? [])], {
      cwd: options.cwd,
      env: options.env ?? process.env,
      stdio: ["pipe", "pipe", options.stderr === "inherit" ? "inherit" : "pipe"],
    });
    this.exited = new Promise((resolve) => {
      this.child.once("exit", (code, signal) => {
        this.#exit = { code, signal };
        resolve(this.#exit);
        this.#notify();
      });
    });
    this.child.stdout?.setEncoding("utf8");
    this.child.stdout?.on("data", (chunk: string) => {
      this.#stdout += chunk;
      this.#pending += chunk;
      let newline = this.#pending.indexOf("\n");
      while (newline >= 0) {
        const line = this.#pending.slice(0, newline).trim();
        this.#pending = this.#pending.slice(newline + 1);
        if (line.startsWith("{")) {
          try {
            this.events.push(JSON.parse(line) as ProcessEvent);
          } catch {
            // not one of ours
          }
        }
        newline = this.#pending.indexOf("\n");
      }
      this.#notify();
    });
    this.child.stderr?.setEncoding("utf8");
    this.child.stderr?.on("data", (chunk: string) => {
      this.#stderr += chunk;
    });
  }

  /** The process id (known once spawned). */
  get pid(): number {
    const pid = this.child.pid;
    if (pid === undefined) throw new Error("the process did not start");
    return pid;
  }

  /** Whether the process is still running. */
  get alive(): boolean {
    return this.#exit === undefined;
  }

  /** Everything it wrote to stdout so far. */
  stdout(): string {
    return this.#stdout;
  }

  /** Everything it wrote to stderr so far (empty when stderr is inherited). */
  stderr(): string {
    return this.#stderr;
  }

  /** Sends a signal (SIGKILL, SIGSTOP, SIGCONT, SIGTERM) if the process is still there. */
  signal(signal: NodeJS.Signals): void {
    if (this.alive) this.child.kill(signal);
  }

  /** Writes a line to the process's stdin. */
  send(line: string): void {
    this.child.stdin?.write(`${line}\n`);
  }

  /**
   * Resolves with the first event (from index `from` on) that matches; rejects when the process exits first or
   * after `timeoutMs`.
   */
  waitForEvent(
    match: (event: ProcessEvent) => boolean,
    {
      what = "event",
      from = 0,
      timeoutMs = 60_000,
    }: { what?: string; from?: number; timeoutMs?: number } = {},
  ): Promise<ProcessEvent> {
    return this.#until(() => this.events.slice(from).find(match), what, timeoutMs);
  }

  /** Resolves with the first match of `pattern` in stdout; rejects when the process exits first or after `timeoutMs`. */
  waitForOutput(
    pattern: RegExp,
    { what = `output matching ${pattern}`, timeoutMs = 60_000 }: { what?: string; timeoutMs?: number } = {},
  ): Promise<RegExpExecArray> {
    return this.#until(() => pattern.exec(this.#stdout) ?? undefined, what, timeoutMs);
  }

  #until<T>(find: () => T | undefined, what: string, timeoutMs: number): Promise<T> {
    return new Promise((resolve, reject) => {
      const check = () => {
        const found = find();
        if (found !== undefined) return done(() => resolve(found));
        if (this.#exit) {
          const stderr = this.#stderr.trim().slice(0, 500);
          return done(() =>
            reject(
              new Error(
                `process ${this.child.pid} exited (${JSON.stringify(this.#exit)}) before ${what}${stderr ? `: ${stderr}` : ""}`,
              ),
            ),
          );
        }
      };
      const timer = setTimeout(
        () => done(() => reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}`))),
        timeoutMs,
      );
      const done = (fn: () => void) => {
        clearTimeout(timer);
        this.#listeners.delete(check);
        fn();
      };
      this.#listeners.add(check);
      check();
    });
  }

  #notify(): void {
    for (const listener of [...this.#listeners]) listener();
  }
}

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

/** Sends a signal to a process that is not a {@link NodeProcess} (a pool's child), if it is still there. */
export function signal(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch {
    // already gone
  }
}
