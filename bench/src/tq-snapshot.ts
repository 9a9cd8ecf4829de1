import { execFileSync } from "node:child_process";
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  realpathSync,
  rmSync,
  statSync,
  symlinkSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { pathToFileURL } from "node:url";
import { REPO_DIR } from "./child.js";

/** The packages a snapshot holds, as far as the checkout has them (an older commit may lack some). */
const PACKAGES = ["job-schema", "protocol", "connection", "client", "metrics", "worker"] as const;
/** The packages the role scripts load: a checkout without them cannot be benchmarked. */
const REQUIRED = ["client", "worker"] as const;

/** A frozen copy of tq's built packages, so one benchmark run measures one build throughout. */
export interface TqSnapshot {
  /**
   * A `node_modules` directory holding the built `@tq/*` packages the benchmark loads and links to the packages they
   * depend on (`redis`, …).
   */
  root: string;
  /** The checkout the build was copied from. */
  repo: string;
  /** That checkout's commit (short hash), or `unknown` when git cannot tell. */
  commit: string;
  /** The commit the build came from, and whether the packages had uncommitted changes. */
  source: string;
  /** When the copied build was made (the newest dist file's time). */
  builtAt: Date;
  remove(): void;
}

interface PackageJson {
  name?: string;
  dependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
  peerDependenciesMeta?: Record<string, { optional?: boolean }>;
}

/** The entry file of a tq package in a snapshot, as an import specifier. */
export function tqEntry(root: string, name: "client" | "worker"): string {
  return pathToFileURL(join(root, "@tq", name, "dist", "index.js")).href;
}

function readPackageJson(file: string): PackageJson | undefined {
  try {
    return JSON.parse(readFileSync(file, "utf8")) as PackageJson;
  } catch {
    return undefined;
  }
}

function packagesIn(repo: string): string[] {
  return PACKAGES.filter((name) => existsSync(join(repo, "packages", name, "package.json")));
}

/**
 * Why `dir` cannot be benchmarked as a tq build, in one line, or `undefined` when it can: it must be the root of a tq
 * checkout (its `packages/client` and `packages/worker` are `@tq/client` and `@tq/worker`) with its packages built.
 */
export function tqCheckoutProblem(dir: string): string | undefined {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) return `${dir} is not a directory`;
  for (const name of REQUIRED) {
    if (readPackageJson(join(dir, "packages", name, "package.json"))?.name !== `@tq/${name}`)
      return (
        `${dir} is not a tq checkout (packages/${name}/package.json does not name @tq/${name}); ` +
        "give the root of one, e.g. a git worktree of an older commit"
      );
  }
  const unbuilt = packagesIn(dir).filter(
    (name) => !existsSync(join(dir, "packages", name, "dist", "index.js")),
  );
  if (unbuilt.length > 0)
    return (
      `${dir} has no built packages (${unbuilt.map((name) => `packages/${name}/dist`).join(", ")} missing): ` +
      "run pnpm install && pnpm build there"
    );
  return undefined;
}

function gitSource(repo: string): { commit: string; source: string } {
  try {
    const commit = execFileSync("git", ["rev-parse", "--short", "HEAD"], {
      cwd: repo,
      encoding: "utf8",
      stdio: ["ignore", "pipe", "ignore"],
    }).trim();
    const dirty = execFileSync(
      "git",
      ["status", "--porcelain", "--", ...packagesIn(repo).map((p) => `packages/${p}`)],
      { cwd: repo, encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] },
    ).trim();
    return {
      commit,
      source: dirty ? `commit ${commit} with uncommitted changes in the packages` : `commit ${commit}`,
    };
  } catch {
    return { commit: "unknown", source: "unknown source" };
  }
}

/** The directory of package `name` as Node would find it from `from`: the nearest `node_modules/<name>` above it. */
function findPackageDir(from: string, name: string): string | undefined {
  for (let dir = from; ; dir = dirname(dir)) {
    const candidate = join(dir, "node_modules", name);
    if (existsSync(join(candidate, "package.json"))) return realpathSync(candidate);
    if (dirname(dir) === dir) return undefined;
  }
}

/**
 * Links into `root` every package the copied tq packages need that is not a tq package: their dependencies and
 * their required peers (`redis`), as installed in `repo`. Optional peers (`@opentelemetry/api`) stay out, as in an
 * application that does not install them.
 */
function linkDependencies(root: string, repo: string, names: readonly string[]): void {
  const linked = new Set<string>();
  for (const name of names) {
    const from = join(repo, "packages", name);
    const pkg = readPackageJson(join(from, "package.json")) ?? {};
    const peers = Object.keys(pkg.peerDependencies ?? {}).filter(
      (p) => !pkg.peerDependenciesMeta?.[p]?.optional,
    );
    for (const dep of [...Object.keys(pkg.dependencies ?? {}), ...peers]) {
      if (dep.startsWith("@tq/") || linked.has(dep)) continue;
      const dir = findPackageDir(from, dep);
      if (!dir)
        throw new Error(`${dep}, which @tq/${name} needs, is not installed in ${repo}: run pnpm install`);
      mkdirSync(dirname(join(root, dep)), { recursive: true });
      symlinkSync(dir, join(root, dep), "dir");
      linked.add(dep);
    }
  }
}

async function copyOnce(root: string, repo: string, names: readonly string[]): Promise<Date> {
  let newest = 0;
  for (const name of names) {
    const from = join(repo, "packages", name);
    const entry = join(from, "dist", "index.js");
    if (!existsSync(entry))
      throw new Error(`${repo}/packages/${name}/dist/index.js is missing: run pnpm build`);
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
 * Copies the built tq packages of the checkout `repo` (as `pnpm build` left them; this benchmark's own checkout by
 * default) to a temp directory. Other people may rebuild the packages while the benchmark runs; the role processes
 * load this copy instead, so every round measures the same code.
 */
export async function snapshotTq(repo: string = REPO_DIR): Promise<TqSnapshot> {
  const dir = mkdtempSync(join(tmpdir(), "tq-bench-build-"));
  const root = join(dir, "node_modules");
  mkdirSync(root, { recursive: true });
  const names = packagesIn(repo);
  let lastError: unknown;
  try {
    linkDependencies(root, repo, names);
    const { commit, source } = gitSource(repo);
    for (let attempt = 0; attempt < 12; attempt++) {
      try {
        const builtAt = await copyOnce(root, repo, names);
        return {
          root,
          repo,
          commit,
          source,
          builtAt,
          remove: () => rmSync(dir, { recursive: true, force: true }),
        };
      } catch (error) {
        lastError = error;
        await new Promise((resolve) => setTimeout(resolve, 5_000));
      }
    }
  } catch (error) {
    lastError = error;
  }
  rmSync(dir, { recursive: true, force: true });
  throw new Error(
    `cannot copy the tq build of ${repo}: ${lastError instanceof Error ? lastError.message : String(lastError)}`,
  );
}
