import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";

/** The built bin, run as users run it. */
export const BIN = fileURLToPath(new URL("../dist/bin.js", import.meta.url));

/** How one `tq` run ended. */
export interface TqRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `node dist/bin.js ...args` with `env` (and nothing of REDIS_URL/TQ_PREFIX from the test's environment). */
export function tq(args: readonly string[], env: Record<string, string | undefined> = {}): Promise<TqRun> {
  const { REDIS_URL: _url, TQ_PREFIX: _prefix, ...rest } = process.env;
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      env: { ...rest, ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
      stdout += chunk;
    });
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => {
      stderr += chunk;
    });
    child.once("error", reject);
    child.once("close", (code) => resolve({ code, stdout, stderr }));
  });
}

/** A `tq` bound to one Redis and one prefix. */
export function tqOn(url: string, prefix: string) {
  return (...args: string[]) => tq(args, { REDIS_URL: url, TQ_PREFIX: prefix });
}

/** The run's stdout as JSON, after checking it succeeded. */
export function json<T = Record<string, unknown>>(run: TqRun): T {
  if (run.code !== 0) throw new Error(`tq exited ${run.code}: ${run.stderr}`);
  return JSON.parse(run.stdout) as T;
}
