#!/usr/bin/env node
// `npm test` / `npm run demo` on a machine that has only Node and npm: installs pnpm and the dependencies when
// they are missing, then runs the given root script with pnpm.
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const script = process.argv[2];
if (!script) {
  console.error("usage: run.mjs <root script>");
  process.exit(2);
}
const env = { ...process.env, TURBO_TELEMETRY_DISABLED: "1" };

function run(cmd, args) {
  const r = spawnSync(cmd, args, { cwd: root, stdio: "inherit", env, shell: process.platform === "win32" });
  if (r.error) throw r.error;
  return r.status ?? 1;
}

const hasPnpm = spawnSync("pnpm", ["--version"], { stdio: "ignore", env }).status === 0;
const pnpm = hasPnpm ? ["pnpm", []] : ["npx", ["-y", "pnpm@10.34.9"]];
const p = (args) => run(pnpm[0], [...pnpm[1], ...args]);

if (!existsSync(join(root, "node_modules", ".modules.yaml"))) {
  const status = p(["install", "--frozen-lockfile"]);
  if (status !== 0) process.exit(status);
}
process.exit(p(["run", script, ...process.argv.slice(3)]));
