import { type ChildProcess, spawn } from "node:child_process";
import { fileURLToPath } from "node:url";

const e2eDir = fileURLToPath(new URL("..", import.meta.url));

/** A JSON line a fixture process wrote to stdout. */
export interface FixtureEvent {
  pid: number;
  event: string;
  code?: string;
  message?: string;
  created?: string[];
}

/** How a fixture process ended. */
export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

const live = new Set<FixtureProcess>();

/** A fixture (worker or producer) running as a real child process. */
export class FixtureProcess {
  readonly child: ChildProcess;
  readonly events: FixtureEvent[] = [];
  readonly exited: Promise<Exit>;
  #exit: Exit | undefined;
  readonly #listeners = new Set<() => void>();

  constructor(script: string, env: Record<string, string>) {
    this.child = spawn(process.execPath, ["--import", "tsx", `fixtures/${script}`], {
      cwd: e2eDir,
      env: { ...process.env, ...env },
      stdio: ["pipe", "pipe", "inherit"],
    });
    live.add(this);
    this.exited = new Promise((resolve) => {
      this.child.once("exit", (code, signal) => {
        this.#exit = { code, signal };
        live.delete(this);
        resolve(this.#exit);
        this.#notify();
      });
    });
    let buffered = "";
    this.child.stdout?.setEncoding("utf8");
    this.child.stdout?.on("data", (chunk: string) => {
      buffered += chunk;
      let newline = buffered.indexOf("\n");
      while (newline >= 0) {
        const line = buffered.slice(0, newline).trim();
        buffered = buffered.slice(newline + 1);
        if (line.startsWith("{")) {
          try {
            this.events.push(JSON.parse(line) as FixtureEvent);
          } catch {
            // not one of ours
          }
        }
        newline = buffered.indexOf("\n");
      }
      this.#notify();
    });
  }

  /** The process id (known once spawned). */
  get pid(): number {
    const pid = this.child.pid;
    if (pid === undefined) throw new Error("fixture process did not start");
    return pid;
  }

  /** Whether the process is still running. */
  get alive(): boolean {
    return this.#exit === undefined;
  }

  /** Sends a signal (SIGKILL, SIGSTOP, SIGCONT, SIGTERM). */
  signal(signal: NodeJS.Signals): void {
    this.child.kill(signal);
  }

  /** Writes a line to the process's stdin. */
  send(line: string): void {
    this.child.stdin?.write(`${line}\n`);
  }

  /**
   * Resolves with the first event (from `from` on) that matches; rejects when the process exits first or after
   * `timeoutMs`.
   */
  waitForEvent(
    match: (event: FixtureEvent) => boolean,
    {
      what = "event",
      from = 0,
      timeoutMs = 60_000,
    }: { what?: string; from?: number; timeoutMs?: number } = {},
  ): Promise<FixtureEvent> {
    return new Promise((resolve, reject) => {
      const check = () => {
        const found = this.events.slice(from).find(match);
        if (found) return done(() => resolve(found));
        if (this.#exit) {
          return done(() =>
            reject(
              new Error(`process ${this.child.pid} exited (${JSON.stringify(this.#exit)}) before ${what}`),
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

/** Settings of one worker process (see fixtures/worker-process.ts). */
export interface WorkerProcessOptions {
  redisUrl: string;
  queue: string;
  prefix: string;
  ledger: string;
  concurrency?: number;
  leaseMs?: number;
}

/** Starts a worker process and resolves once its Worker is consuming. */
export async function startWorkerProcess(options: WorkerProcessOptions): Promise<FixtureProcess> {
  const worker = new FixtureProcess("worker-process.ts", {
    REDIS_URL: options.redisUrl,
    QUEUE: options.queue,
    PREFIX: options.prefix,
    LEDGER: options.ledger,
    CONCURRENCY: String(options.concurrency ?? 1),
    LEASE_MS: String(options.leaseMs ?? 30_000),
  });
  await worker.waitForEvent((e) => e.event === "ready", { what: "the worker to be ready" });
  return worker;
}

/** Starts a producer process (see fixtures/producer-process.ts) and resolves once it is connected. */
export async function startProducerProcess(options: {
  redisUrl: string;
  queue: string;
  prefix: string;
  ids: readonly string[];
  /** Queue instances (each with its own connection) racing inside this process. @defaultValue 1 */
  producers?: number;
}): Promise<FixtureProcess> {
  const producer = new FixtureProcess("producer-process.ts", {
    REDIS_URL: options.redisUrl,
    QUEUE: options.queue,
    PREFIX: options.prefix,
    IDS: options.ids.join(","),
    PRODUCERS: String(options.producers ?? 1),
  });
  await producer.waitForEvent((e) => e.event === "ready", { what: "the producer to be ready" });
  return producer;
}

/** Kills every fixture process still running (resuming stopped ones first) and waits for them to exit. */
export async function killAllProcesses(): Promise<void> {
  const running = [...live];
  for (const p of running) {
    p.signal("SIGCONT");
    p.signal("SIGKILL");
  }
  await Promise.all(running.map((p) => p.exited));
}
