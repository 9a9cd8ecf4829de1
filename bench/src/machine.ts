import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { availableParallelism, cpus, loadavg, totalmem } from "node:os";
import { join } from "node:path";
import { BENCH_DIR } from "./child.js";
import type { Library } from "./protocol.js";
import type { TqSnapshot } from "./tq-snapshot.js";

/** Where one measured tq build came from. */
export interface TqBuildInfo {
  library: Library;
  /** The commit (short hash), or `unknown`. */
  commit: string;
  /** The checkout it was copied from. */
  repo: string;
  /** The commit, uncommitted changes and build time, for the report. */
  source: string;
}

/** Where and with what the benchmark ran. */
export interface MachineInfo {
  cpus: number;
  cpuModel: string;
  memoryGiB: number;
  node: string;
  redis: string;
  versions: Record<string, string>;
  /** Where each measured tq build came from (the one under test first, then the baseline). */
  tqBuilds: TqBuildInfo[];
  /** 1-minute load average when the run started. */
  loadStart: number;
}

const require = createRequire(join(BENCH_DIR, "package.json"));

function packageVersion(name: string): string {
  try {
    const file = require.resolve(`${name}/package.json`);
    return (JSON.parse(readFileSync(file, "utf8")) as { version: string }).version;
  } catch {
    return "unknown";
  }
}

export function machineInfo(redisVersion: string, builds: ReadonlyMap<Library, TqSnapshot>): MachineInfo {
  return {
    cpus: availableParallelism(),
    cpuModel: cpus()[0]?.model.trim() ?? "unknown",
    memoryGiB: totalmem() / 1024 ** 3,
    node: process.version,
    redis: redisVersion,
    versions: {
      "@tq/client": packageVersion("@tq/client"),
      "@tq/worker": packageVersion("@tq/worker"),
      bullmq: packageVersion("bullmq"),
      ioredis: packageVersion("ioredis"),
      "bee-queue": packageVersion("bee-queue"),
      redis: packageVersion("redis"),
    },
    tqBuilds: [...builds].map(([library, tq]) => ({
      library,
      commit: tq.commit,
      repo: tq.repo,
      source: `${tq.source}, built ${tq.builtAt.toISOString().slice(0, 16).replace("T", " ")} UTC`,
    })),
    loadStart: loadavg()[0] ?? 0,
  };
}

export function loadNow(): number {
  return loadavg()[0] ?? 0;
}
