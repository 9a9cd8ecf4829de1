import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { BENCH_DIR } from "./child.js";

const dir = mkdtempSync(join(tmpdir(), "tq-bench-main-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Runs the benchmark's entry point; these calls fail before it starts Redis or copies a build. */
function bench(...args: string[]) {
  const { INIT_CWD: _, ...env } = process.env;
  return spawnSync(process.execPath, ["--import", "tsx", "src/main.ts", ...args], {
    cwd: BENCH_DIR,
    encoding: "utf8",
    env,
  });
}

describe("the bench command", () => {
  it("exits with 2 and one line when --baseline is not a tq checkout", () => {
    const result = bench("--baseline", dir, "--libraries", "tq,baseline");
    expect(result.status).toBe(2);
    expect(result.stderr.trim()).toMatch(/^--baseline: .* is not a tq checkout [^\n]*$/);
  });

  it("exits with 2 and one line when the baseline checkout is not built", () => {
    for (const name of ["client", "worker"]) {
      mkdirSync(join(dir, "packages", name), { recursive: true });
      writeFileSync(join(dir, "packages", name, "package.json"), JSON.stringify({ name: `@tq/${name}` }));
    }
    const result = bench("--baseline", dir);
    expect(result.status).toBe(2);
    expect(result.stderr.trim()).toMatch(
      /^--baseline: .* has no built packages [^\n]*run pnpm install && pnpm build there$/,
    );
  });

  it("documents the new flags in --help", () => {
    const result = bench("--help");
    expect(result.status).toBe(0);
    for (const flag of ["--baseline DIR", "--libraries a,b", "--only-tq", "--write", "--no-write"])
      expect(result.stdout).toContain(flag);
  });
});
