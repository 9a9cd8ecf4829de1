import { relative, resolve } from "node:path";
import { REPO_DIR } from "./child.js";
import type { Library } from "./protocol.js";
import { DEFAULT_LIBRARIES, LIBRARIES } from "./scenarios.js";

/** Command-line options of the benchmark. */
export interface CliOptions {
  /** Rounds per scenario and library. */
  runs: number;
  /** Job counts ÷ 10, for a quick check of the harness. */
  quick: boolean;
  /** Add the Redis commandstats profile per job to the report. */
  profile: boolean;
  /** Only these scenario ids (all when empty). */
  only: string[];
  /** The libraries to run, in report order. */
  libraries: Library[];
  /** The root of another tq checkout, as an absolute path, whose build runs as the library `baseline`. */
  baseline?: string;
  /**
   * Write docs/benchmarks.md and docs/benchmarks.svg (otherwise print the report). On by default, off by default
   * when a baseline is given: a before/after run is for a note, not for the published tables.
   */
  write: boolean;
  /** The longest one run may take, in seconds. */
  timeoutS: number;
}

/** A mistake in how the benchmark was called: the process exits with code 2. */
export class UsageError extends Error {
  override readonly name = "UsageError";
}

export const USAGE = `Usage: pnpm --filter @tq/bench start -- [options]

  --runs N          rounds (default 3)
  --quick           job counts divided by 10
  --profile         add Redis INFO commandstats per job to the report
  --only a,b        only these scenarios (ids: enqueue-serial, enqueue-concurrent, enqueue-bulk,
                    process-c1, process-c10, process-c100, mixed, latency, memory, pool, pool-cpu, and backlog for
                    every backlog-growth scenario: backlog-10k, backlog-100k, backlog-1m,
                    backlog-10k-delayed-1m)
  --baseline DIR    also run "tq (baseline)": the same tq role scripts against the built packages of the
                    tq checkout DIR (e.g. a git worktree of an older commit, after pnpm install && pnpm build
                    there), rotating with the other libraries in every scenario and round; the report adds
                    tq/baseline ratios. A relative DIR is taken from the directory pnpm was started in
  --libraries a,b   only these libraries (tq, baseline, bullmq, bee-queue, floor; default
                    tq,bullmq,bee-queue,floor, plus baseline with --baseline; floor is the raw-list floor). Before/after: --baseline DIR --libraries tq,baseline
  --only-tq         only tq (and the baseline, with --baseline)
  --write           write docs/benchmarks.md and docs/benchmarks.svg even with --baseline
  --no-write        print the report, leave docs/ alone (the default with --baseline)
  --timeout S       the longest one run may take, in seconds (default 300)`;

function parseLibraries(value: string): Library[] {
  const names = value
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);
  const unknown = names.filter((n) => !(LIBRARIES as readonly string[]).includes(n));
  if (unknown.length > 0)
    throw new UsageError(
      `unknown library ${unknown.join(", ")} in --libraries (known: ${LIBRARIES.join(", ")})`,
    );
  if (names.length === 0) throw new UsageError(`--libraries needs at least one library\n\n${USAGE}`);
  return names as Library[];
}

/**
 * Reads the options from `argv`. A relative `--baseline` is resolved against `cwd`: by default the directory pnpm
 * was started in (`INIT_CWD`), not the bench package's directory that `pnpm --filter` runs the script in.
 */
export function parseArgs(
  argv: readonly string[],
  cwd: string = process.env.INIT_CWD ?? process.cwd(),
): CliOptions {
  const options: CliOptions = {
    runs: 3,
    quick: false,
    profile: false,
    only: [],
    libraries: [],
    write: true,
    timeoutS: 300,
  };
  let libraries: Library[] | undefined;
  let onlyTq = false;
  let write: boolean | undefined;
  const args = argv.filter((a) => a !== "--");
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    const value = () => {
      const v = args[++i];
      if (v === undefined) throw new UsageError(`${arg} needs a value\n\n${USAGE}`);
      return v;
    };
    switch (arg) {
      case "--runs": {
        const runs = Number(value());
        if (!Number.isInteger(runs) || runs < 1)
          throw new UsageError(`--runs must be a positive integer\n\n${USAGE}`);
        options.runs = runs;
        break;
      }
      case "--quick":
        options.quick = true;
        break;
      case "--profile":
        options.profile = true;
        break;
      case "--only":
        options.only = value()
          .split(",")
          .map((s) => s.trim())
          .filter(Boolean);
        break;
      case "--baseline":
        options.baseline = resolve(cwd, value());
        break;
      case "--libraries":
        libraries = parseLibraries(value());
        break;
      case "--only-tq":
        onlyTq = true;
        break;
      case "--write":
        write = true;
        break;
      case "--no-write":
        write = false;
        break;
      case "--timeout": {
        const s = Number(value());
        if (!Number.isFinite(s) || s <= 0)
          throw new UsageError(`--timeout must be a positive number\n\n${USAGE}`);
        options.timeoutS = s;
        break;
      }
      case "--help":
      case "-h":
        console.log(USAGE);
        process.exit(0);
        break;
      default:
        throw new UsageError(`unknown option ${arg}\n\n${USAGE}`);
    }
  }
  if (libraries && onlyTq) throw new UsageError("give --libraries or --only-tq, not both");
  const withBaseline: Library[] = options.baseline ? ["baseline"] : [];
  const chosen = libraries ?? (onlyTq ? ["tq", ...withBaseline] : [...DEFAULT_LIBRARIES, ...withBaseline]);
  if (chosen.includes("baseline") && !options.baseline)
    throw new UsageError("--libraries names baseline, but no --baseline DIR says which checkout it is");
  if (options.baseline && !chosen.includes("baseline"))
    throw new UsageError(
      "--baseline is given but --libraries leaves baseline out: add it, or drop --baseline",
    );
  options.libraries = LIBRARIES.filter((l) => chosen.includes(l));
  options.write = write ?? !options.baseline;
  return options;
}

/**
 * The command that reproduces a run with these options, from the root of the checkout `repoDir`: the baseline as a
 * path relative to it, the libraries when they are not the default.
 */
export function reproduceCommand(options: CliOptions, repoDir: string = REPO_DIR): string {
  const flags = [`--runs ${options.runs}`];
  if (options.quick) flags.push("--quick");
  if (options.profile) flags.push("--profile");
  if (options.only.length > 0) flags.push(`--only ${options.only.join(",")}`);
  if (options.baseline) flags.push(`--baseline ${relative(repoDir, options.baseline) || "."}`);
  const defaults: Library[] = [...DEFAULT_LIBRARIES, ...(options.baseline ? (["baseline"] as const) : [])];
  const isDefault =
    options.libraries.length === defaults.length && defaults.every((l) => options.libraries.includes(l));
  if (!isDefault) flags.push(`--libraries ${options.libraries.join(",")}`);
  return `pnpm build && pnpm --filter @tq/bench start -- ${flags.join(" ")}`;
}
