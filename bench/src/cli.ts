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
  /** Print the report instead of writing docs/benchmarks.md and docs/benchmarks.svg. */
  write: boolean;
  /** The longest one run may take, in seconds. */
  timeoutS: number;
}

export const USAGE = `Usage: pnpm --filter @tq/bench start -- [options]

  --runs N        rounds (default 3)
  --quick         job counts divided by 10
  --profile       add Redis INFO commandstats per job to the report
  --only a,b      only these scenarios (ids: enqueue-serial, enqueue-concurrent, enqueue-bulk,
                  process-c1, process-c10, process-c100, mixed, latency, memory, pool)
  --no-write      print the report, leave docs/ alone
  --timeout S     the longest one run may take, in seconds (default 300)`;

export function parseArgs(argv: readonly string[]): CliOptions {
  const options: CliOptions = { runs: 3, quick: false, profile: false, only: [], write: true, timeoutS: 300 };
  const args = argv.filter((a) => a !== "--");
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    const value = () => {
      const v = args[++i];
      if (v === undefined) throw new Error(`${arg} needs a value\n\n${USAGE}`);
      return v;
    };
    switch (arg) {
      case "--runs": {
        const runs = Number(value());
        if (!Number.isInteger(runs) || runs < 1)
          throw new Error(`--runs must be a positive integer\n\n${USAGE}`);
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
      case "--no-write":
        options.write = false;
        break;
      case "--timeout": {
        const s = Number(value());
        if (!Number.isFinite(s) || s <= 0) throw new Error(`--timeout must be a positive number\n\n${USAGE}`);
        options.timeoutS = s;
        break;
      }
      case "--help":
      case "-h":
        console.log(USAGE);
        process.exit(0);
        break;
      default:
        throw new Error(`unknown option ${arg}\n\n${USAGE}`);
    }
  }
  return options;
}

/** The command that reproduces a run with these options. */
export function reproduceCommand(options: CliOptions): string {
  const flags = [`--runs ${options.runs}`];
  if (options.quick) flags.push("--quick");
  if (options.profile) flags.push("--profile");
  if (options.only.length > 0) flags.push(`--only ${options.only.join(",")}`);
  return `pnpm build && pnpm --filter @tq/bench start -- ${flags.join(" ")}`;
}
