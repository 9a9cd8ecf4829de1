import { execFileSync } from "node:child_process";
import { cpSync, existsSync, mkdirSync, mkdtempSync, rmSync, statSync, symlinkSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { pathToFileURL } from "node:url";
import { BENCH_DIR } from "./child.js";

const REPO = join(BENCH_DIR, "..");
const PACKAGES = ["job-schema", "protocol", "connection", "client", "metrics", "worker"] as const;

/** A frozen copy of tq's built packages, so one benchmark run measures one build throughout. */
export interface TqSnapshot {
  /** A `node_modules` directory holding the built `@tq/*` packages the benchmark loads and a link to `redis`. */
  root: string;
  /** The commit the build came from, and whether the packages had uncommitted changes. */
  source: string;
  /** When the copied build was made (the newest dist file's time). */
  builtAt: Date;
  remove(): void;
}

/** The entry file of a tq package in a snapshot, as an import specifier. */
export function tqEntry(root: string, name: "client" | "worker"): string {
  return pathToFileURL(join(root, "@tq", name, "dist", "index.js")).href;
}

function gitSource(): string {
  try {
    const commit = execFileSync("git", ["rev-parse", "--short", "HEAD"], {
      cwd: REPO,
      encoding: "utf8",
    }).trim();
    const dirty = execFileSync(
      "git",
      ["status", "--porcelain", "--", ...PACKAGES.map((p) => `packages/${p}`)],
      { cwd: REPO, encoding: "utf8" },
    ).trim();
    return dirty ? `commit ${commit} with uncommitted changes in the packages` : `commit ${commit}`;
  } catch {
    return "unknown source";
  }
}

async function copyOnce(root: string): Promise<Date> {
  let newest = 0;
  for (const name of PACKAGES) {
    const from = join(REPO, "packages", name);
    const entry = join(from, "dist", "index.js");
    if (!existsSync(entry)) throw new Error(`packages/${name}/dist/index.js is missing: run pnpm build`);
    newest = Math.max(newest, statSync(entry).mtimeMs);
    const to = join(root, "@tq", name);
    rmSync(to, { recursive: true, force: true });
    mkdirSync(to, { recursive: true });
    cpSync(join(from, "package.json"), join(to, "package.json"));
    cpSync(join(from, "dist"), join(to, "dist"), { recursive: true });
  }
  // The copies must load (checked in a throwaway process): a build caught half-written fails here and is copied again.
  const check = `await import(${JSON.stringify(tqEntry(root, "client"))}); await import(${JSON.stringify(tqEntry(root, "worker"))});`;
  execFileSync(process.execPath, ["--input-type=module", "-e", check], { stdio: "pipe" });
  return new Date(newest);
}

/**
 * Copies tq's built packages (as `pnpm build` left them) to a temp directory. Other people may rebuild the packages
 * while the benchmark runs; the role processes load this copy instead, so every round measures the same code.
 */
export async function snapshotTq(): Promise<TqSnapshot> {
  const dir = mkdtempSync(join(tmpdir(), "tq-bench-build-"));
  const root = join(dir, "node_modules");
  mkdirSync(root, { recursive: true });
  const redisDir = dirname(
    createRequire(join(REPO, "packages", "client", "package.json")).resolve("redis/package.json"),
  );
  symlinkSync(redisDir, join(root, "redis"), "dir");
  // what @tq/metrics loads (the worker loads it only for a pool that serves /metrics)
  const promDir = dirname(
    createRequire(join(REPO, "packages", "metrics", "package.json")).resolve("prom-client/package.json"),
  );
  symlinkSync(promDir, join(root, "prom-client"), "dir");
  const source = gitSource();
  let lastError: unknown;
  for (let attempt = 0; attempt < 12; attempt++) {
    try {
      const builtAt = await copyOnce(root);
      return { root, source, builtAt, remove: () => rmSync(dir, { recursive: true, force: true }) };
    } catch (error) {
      lastError = error;
      await new Promise((resolve) => setTimeout(resolve, 5_000));
    }
  }
  rmSync(dir, { recursive: true, force: true });
  throw new Error(
    `cannot copy tq's build: ${lastError instanceof Error ? lastError.message : String(lastError)}`,
  );
}
