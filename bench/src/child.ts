import { type ChildProcess, fork } from "node:child_process";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type { ChildMessage, ParentMessage, RoleConfig } from "./protocol.js";

export const BENCH_DIR = join(dirname(fileURLToPath(import.meta.url)), "..");
/** The tq checkout this benchmark belongs to. */
export const REPO_DIR = join(BENCH_DIR, "..");

type Waiter = { type: ChildMessage["type"]; resolve: (m: ChildMessage) => void; reject: (e: Error) => void };

/** A role process (`node --import tsx src/roles/<script>`), talked to over IPC. */
export class RoleProcess {
  readonly #child: ChildProcess;
  readonly #name: string;
  readonly #inbox: ChildMessage[] = [];
  readonly #waiters = new Set<Waiter>();
  #exited = false;
  #exit: Promise<void>;
  /** The last progress report. */
  progress = { completed: 0, failed: 0 };
  /** Set when the process reported an error or exited. */
  failure: Error | undefined;

  private constructor(script: string, config: RoleConfig, env: Record<string, string>) {
    this.#name = `${script} (${config.role})`;
    this.#child = fork(join(BENCH_DIR, "src", "roles", script), [JSON.stringify(config)], {
      cwd: BENCH_DIR,
      execArgv: ["--import", "tsx"],
      stdio: ["ignore", "inherit", "inherit", "ipc"],
      env: { ...process.env, ...env },
    });
    this.#exit = new Promise((resolve) => {
      this.#child.once("exit", (code, signal) => {
        this.#exited = true;
        const error = new Error(`${this.#name} exited (code ${code}, signal ${signal})`);
        this.failure ??= error;
        for (const w of this.#waiters) w.reject(error);
        this.#waiters.clear();
        resolve();
      });
    });
    this.#child.on("message", (message: ChildMessage) => this.#receive(message));
  }

  /** Starts a role process and waits for it to be ready. */
  static async spawn(
    script: string,
    config: RoleConfig,
    env: Record<string, string> = {},
    timeoutMs = 60_000,
  ): Promise<RoleProcess> {
    const role = new RoleProcess(script, config, env);
    try {
      await role.next("ready", timeoutMs);
    } catch (error) {
      role.kill();
      throw error;
    }
    return role;
  }

  #receive(message: ChildMessage): void {
    if (message.type === "progress") {
      this.progress = { completed: message.completed, failed: message.failed };
    }
    if (message.type === "error") {
      const error = new Error(`${this.#name}: ${message.message}`);
      this.failure ??= error;
      for (const w of this.#waiters) w.reject(error);
      this.#waiters.clear();
      return;
    }
    for (const w of this.#waiters) {
      if (w.type === message.type) {
        this.#waiters.delete(w);
        w.resolve(message);
        return;
      }
    }
    if (message.type !== "progress") this.#inbox.push(message);
  }

  send(message: ParentMessage): void {
    if (!this.#exited) this.#child.send(message);
  }

  /** The next message of this type (or one that already arrived). */
  next<T extends ChildMessage["type"]>(
    type: T,
    timeoutMs: number,
  ): Promise<Extract<ChildMessage, { type: T }>> {
    const queued = this.#inbox.findIndex((m) => m.type === type);
    if (queued >= 0) {
      const [m] = this.#inbox.splice(queued, 1);
      return Promise.resolve(m as Extract<ChildMessage, { type: T }>);
    }
    if (this.#exited) return Promise.reject(new Error(`${this.#name} has exited`));
    return new Promise((resolve, reject) => {
      const waiter: Waiter = {
        type,
        resolve: (m) => {
          clearTimeout(timer);
          resolve(m as Extract<ChildMessage, { type: T }>);
        },
        reject: (e) => {
          clearTimeout(timer);
          reject(e);
        },
      };
      const timer = setTimeout(() => {
        this.#waiters.delete(waiter);
        reject(new Error(`${this.#name}: no "${type}" within ${timeoutMs} ms`));
      }, timeoutMs);
      this.#waiters.add(waiter);
    });
  }

  /** Asks the process to close its connections and exit; kills it if it has not exited within `graceMs`. */
  async close(graceMs = 15_000): Promise<void> {
    if (this.#exited) return;
    this.send({ type: "close" });
    const timer = setTimeout(() => this.kill(), graceMs);
    await this.#exit;
    clearTimeout(timer);
  }

  kill(): void {
    if (!this.#exited) this.#child.kill("SIGKILL");
  }
}

/** Waits until the summed progress of `workers` reaches `total` jobs, or throws after `timeoutMs`. */
export async function waitForProgress(
  workers: readonly RoleProcess[],
  total: number,
  timeoutMs: number,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const done = workers.reduce((sum, w) => sum + w.progress.completed + w.progress.failed, 0);
    if (done >= total) return;
    const failed = workers.find((w) => w.failure);
    if (failed?.failure) throw failed.failure;
    if (Date.now() > deadline)
      throw new Error(`workers finished ${done} of ${total} jobs within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
