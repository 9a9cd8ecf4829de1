import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, realpathSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { loadTq } from "./roles/tq-modules.js";
import { snapshotTq, tqCheckoutProblem } from "./tq-snapshot.js";

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), "tq-bench-test-"));
  dirs.push(dir);
  return dir;
}

function write(file: string, text: string): void {
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, text);
}

/** A checkout shaped like an older tq: client and worker only, `redis` a required peer, OpenTelemetry optional. */
function fakeCheckout({ built = true } = {}): string {
  const repo = tempDir();
  for (const name of ["client", "worker"]) {
    write(
      join(repo, "packages", name, "package.json"),
      JSON.stringify({
        name: `@tq/${name}`,
        type: "module",
        dependencies: name === "worker" ? { "@tq/client": "workspace:^" } : {},
        peerDependencies: { redis: "^6.0.0", "@opentelemetry/api": "^1.9.0" },
        peerDependenciesMeta: { "@opentelemetry/api": { optional: true } },
      }),
    );
    if (built)
      write(join(repo, "packages", name, "dist", "index.js"), `export const build = "${name} v1";\n`);
  }
  for (const dep of ["redis", "@opentelemetry/api"])
    write(join(repo, "node_modules", dep, "package.json"), JSON.stringify({ name: dep }));
  return repo;
}

function commitAll(repo: string): string {
  const git = (...args: string[]) =>
    execFileSync("git", ["-c", "user.name=t", "-c", "user.email=t@t", ...args], {
      cwd: repo,
      encoding: "utf8",
    });
  git("init", "-q");
  git("add", "-A");
  git("commit", "-qm", "old build");
  return git("rev-parse", "--short", "HEAD").trim();
}

describe("tqCheckoutProblem", () => {
  it("accepts a built tq checkout", () => {
    expect(tqCheckoutProblem(fakeCheckout())).toBeUndefined();
  });

  it("says what is wrong, in one line", () => {
    const missing = join(tempDir(), "nowhere");
    const problems = [
      tqCheckoutProblem(missing),
      tqCheckoutProblem(tempDir()),
      tqCheckoutProblem(fakeCheckout({ built: false })),
    ];
    expect(problems[0]).toBe(`${missing} is not a directory`);
    expect(problems[1]).toMatch(
      /is not a tq checkout \(packages\/client\/package\.json does not name @tq\/client\)/,
    );
    expect(problems[2]).toMatch(
      /has no built packages \(packages\/client\/dist, packages\/worker\/dist missing\): run pnpm install && pnpm build there$/,
    );
    for (const p of problems) expect(p).not.toContain("\n");
  });
});

describe("snapshotTq", () => {
  it("copies another checkout's build, links its required dependencies and records its commit", async () => {
    const repo = fakeCheckout();
    const commit = commitAll(repo);
    const snapshot = await snapshotTq(repo);
    try {
      expect(snapshot.commit).toBe(commit);
      expect(snapshot.source).toBe(`commit ${commit}`);
      expect(snapshot.repo).toBe(repo);
      expect(realpathSync(join(snapshot.root, "redis"))).toBe(
        realpathSync(join(repo, "node_modules", "redis")),
      );
      expect(existsSync(join(snapshot.root, "@opentelemetry", "api"))).toBe(false);
      expect(existsSync(join(snapshot.root, "@tq", "metrics"))).toBe(false);
      // the copy is what the role processes load, not the checkout: a rebuild there does not reach it
      write(join(repo, "packages", "client", "dist", "index.js"), `export const build = "client v2";\n`);
      const { client, worker } = await loadTq(snapshot.root);
      expect((client as unknown as { build: string }).build).toBe("client v1");
      expect((worker as unknown as { build: string }).build).toBe("worker v1");
    } finally {
      snapshot.remove();
    }
    expect(existsSync(snapshot.root)).toBe(false);
  });

  it("says when the checkout's build has uncommitted changes", async () => {
    const repo = fakeCheckout();
    const commit = commitAll(repo);
    write(join(repo, "packages", "worker", "src", "new.ts"), "export {};\n");
    const snapshot = await snapshotTq(repo);
    snapshot.remove();
    expect(snapshot.source).toBe(`commit ${commit} with uncommitted changes in the packages`);
  });
});
