// Runs every fault scenario and writes the table to docs/reliability.md (between its faults:start/end markers).
// Usage: pnpm --filter @tq/faults start [-- --only id,id] [--out path]
import { execFileSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { cpus, totalmem } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { renderReport, type ScenarioFailure, spliceReport } from "./report.js";
import type { ScenarioResult } from "./result.js";
import { SCENARIOS } from "./scenarios/index.js";

const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..");

function run(command: string, args: string[]): string {
  try {
    return execFileSync(command, args, {
      cwd: root,
      encoding: "utf8",
      stdio: ["ignore", "pipe", "ignore"],
    }).trim();
  } catch {
    return "";
  }
}

function describeSource(): string {
  const commit = run("git", ["rev-parse", "--short", "HEAD"]);
  if (!commit) return "";
  const dirty = run("git", ["status", "--porcelain", "packages"]) !== "";
  return `tq from commit ${commit}${dirty ? " with uncommitted changes in the packages" : ""}.`;
}

const { values } = parseArgs({
  // pnpm passes a literal "--" through: drop it so the flags after it are parsed
  args: process.argv.slice(2).filter((arg) => arg !== "--"),
  options: { only: { type: "string" }, out: { type: "string" } },
  allowPositionals: true,
});
const only = values.only ? new Set(values.only.split(",")) : undefined;
const out = values.out ?? join(root, "docs", "reliability.md");
const selected = SCENARIOS.filter((s) => !only || only.has(s.id));

const started = Date.now();
const results: Array<ScenarioResult | ScenarioFailure> = [];
for (const scenario of selected) {
  process.stdout.write(`${scenario.id} ... `);
  try {
    const result = await scenario.run();
    results.push(result);
    const failed = result.checks.filter((c) => !c.ok);
    process.stdout.write(
      `${(result.durationMs / 1000).toFixed(1)} s: enqueued ${result.enqueued}, lost ${result.lost}, duplicates ${result.duplicates} (lease ${result.byLease}, retry ${result.byRetry}, unexplained ${result.unexplained}), early ${result.early + result.stale}, recovery ${result.recoveryMs ?? "—"} ms${failed.length ? `, FAILED: ${failed.map((c) => `${c.name} (${c.detail ?? ""})`).join("; ")}` : ""}\n`,
    );
  } catch (error) {
    results.push({ id: scenario.id, title: scenario.title, error: (error as Error)?.stack ?? String(error) });
    process.stdout.write(`error: ${(error as Error)?.message ?? String(error)}\n`);
  }
}

const cpu = cpus();
const redisVersion = /v=(\S+)/.exec(run("redis-server", ["--version"]))?.[1] ?? "?";
const block = renderReport(results, {
  date: `${new Date().toISOString().slice(0, 16).replace("T", " ")} UTC`,
  machine: `${cpu.length} vCPUs (${cpu[0]?.model.trim() ?? "?"}), ${(totalmem() / 2 ** 30).toFixed(1)} GiB RAM`,
  versions: `Node ${process.version}, Redis ${redisVersion}`,
  source: describeSource(),
  command: `pnpm build && pnpm --filter @tq/faults start${only ? ` -- --only ${[...only].join(",")}` : ""}`,
  totalMs: Date.now() - started,
});
let existing: string | undefined;
try {
  existing = readFileSync(out, "utf8");
} catch {
  existing = undefined;
}
writeFileSync(out, spliceReport(existing, block));
process.stdout.write(`wrote ${out} (${((Date.now() - started) / 60_000).toFixed(1)} min)\n`);
const bad = results.filter((r) => !("enqueued" in r) || r.checks.some((c) => !c.ok));
process.exitCode = bad.length > 0 ? 1 : 0;
