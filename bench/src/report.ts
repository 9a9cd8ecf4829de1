import type { MachineInfo } from "./machine.js";
import type { Library } from "./protocol.js";
import type { RedisProfile } from "./redis-admin.js";
import type { Results } from "./runner.js";
import { backlogOf, type Column, LIBRARY_NAMES, type Scenario, type Sizes } from "./scenarios.js";
import { pairedRatios, type Spread, spread } from "./stats.js";

/** Report options beside the results. */
export interface ReportInput {
  results: Results;
  machine: MachineInfo;
  loadEnd: number;
  date: Date;
  command: string;
  sizes: Sizes;
  quick: boolean;
  profile: boolean;
  /** The chart written beside the report, linked under the summary; none when the report is only printed. */
  chartFile?: string;
  /** The chart of rate against backlog size, linked in the backlog section; none when the report is only printed. */
  backlogChartFile?: string;
}

function num(value: number, digits: number): string {
  // a value that rounds to zero is 0, not "-0"
  const shown = Number(value.toFixed(digits)) === 0 ? 0 : value;
  return shown.toLocaleString("en-US", { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

function cell(s: Spread | undefined, digits: number): string {
  if (!s) return "—";
  if (s.n === 1) return num(s.median, digits);
  return `${num(s.median, digits)} (${num(s.min, digits)}–${num(s.max, digits)})`;
}

/**
 * a's median over b's; "—" when b's median is 0 as the table shows it (`digits` after the point): a ratio to a value
 * that rounds to nothing (the raw-list floor keeps no memory) says nothing.
 */
function ratio(a: Spread | undefined, b: Spread | undefined, digits = 2): string {
  if (!a || !b || Number(b.median.toFixed(digits)) === 0) return "—";
  return `${(a.median / b.median).toFixed(2)}×`;
}

const times = (value: number) => `${value.toFixed(2)}×`;

/** A spread of ratios: the median, with min–max in brackets over more than one round. */
function ratioCell(s: Spread | undefined): string {
  if (!s) return "—";
  if (s.n === 1) return times(s.median);
  return `${times(s.median)} (${s.min.toFixed(2)}–${times(s.max)})`;
}

/** One column of one scenario for one library: the value of each round that measured it. */
function roundValues(
  results: Results,
  scenario: string,
  library: Library,
  key: string | "value",
): Map<number, number> {
  const values = new Map<number, number>();
  for (const r of results.records) {
    if (r.scenario !== scenario || r.library !== library || !r.measurement) continue;
    values.set(r.round, (key === "value" ? r.measurement.value : r.measurement.extra[key]) ?? Number.NaN);
  }
  return values;
}

/** The spread over rounds of one column of one scenario for one library. */
export function columnSpread(
  results: Results,
  scenario: string,
  library: Library,
  key: string | "value",
): Spread | undefined {
  return spread([...roundValues(results, scenario, library, key).values()]);
}

/**
 * tq's headline value divided by the baseline's, round by round (only rounds in which both ran), in round order.
 */
function pairedBaselineRatios(results: Results, scenario: string): number[] {
  return pairedRatios(
    roundValues(results, scenario, "tq", "value"),
    roundValues(results, scenario, "baseline", "value"),
  );
}

/** A column of ratios in the summary: tq against one other library. */
interface RatioColumn {
  label: string;
  /** Only in the summary table; the scenario sections spell it out. */
  paired: boolean;
  cell(results: Results, scenario: string): string;
}

/**
 * The ratio columns for the libraries that ran: tq's median over each other library's, and for the baseline also
 * the median of the per-round ratios. None when tq did not run.
 */
function ratioColumns(libraries: readonly Library[]): RatioColumn[] {
  if (!libraries.includes("tq")) return [];
  const columns: RatioColumn[] = [];
  for (const other of libraries) {
    if (other === "tq") continue;
    const name = other === "baseline" ? "baseline" : LIBRARY_NAMES[other];
    columns.push({
      label: `tq/${name}`,
      paired: false,
      cell: (results, scenario) =>
        ratio(
          columnSpread(results, scenario, "tq", "value"),
          columnSpread(results, scenario, other, "value"),
          results.scenarios.find((s) => s.id === scenario)?.primary.digits,
        ),
    });
    if (other === "baseline")
      columns.push({
        label: "tq/baseline paired",
        paired: true,
        cell: (results, scenario) => ratioCell(spread(pairedBaselineRatios(results, scenario))),
      });
  }
  return columns;
}

function failures(results: Results, scenario: string): string[] {
  return results.records
    .filter((r) => r.scenario === scenario && r.error)
    .map((r) => `${LIBRARY_NAMES[r.library]}, round ${r.round + 1}: ${r.error}`);
}

function scenarioTable(results: Results, scenario: Scenario): string[] {
  const columns: Column[] = [scenario.primary, ...scenario.columns];
  const lines = [
    `| library | ${columns.map((c) => c.label).join(" | ")} |`,
    `|---|${columns.map(() => "---:").join("|")}|`,
  ];
  for (const library of results.libraries) {
    const cells = columns.map((c) =>
      cell(columnSpread(results, scenario.id, library, c === scenario.primary ? "value" : c.key), c.digits),
    );
    lines.push(`| ${LIBRARY_NAMES[library]} | ${cells.join(" | ")} |`);
  }
  const ratios = ratioColumns(results.libraries).filter((c) => !c.paired);
  const better = `${scenario.primary.label}, ${scenario.higherIsBetter ? "higher" : "lower"} is better`;
  if (ratios.length > 0)
    lines.push(
      "",
      `Ratios of medians (${better}): ${ratios.map((c) => `${c.label} ${c.cell(results, scenario.id)}`).join(", ")}.`,
    );
  if (results.libraries.includes("tq") && results.libraries.includes("baseline")) {
    const paired = pairedBaselineRatios(results, scenario.id);
    lines.push(
      "",
      `Paired ratio tq/baseline (${better}), the median over rounds of tq's value divided by the baseline's in the ` +
        `same round: ${ratioCell(spread(paired))}` +
        (paired.length > 1 ? `; round by round ${paired.map(times).join(", ")}.` : "."),
    );
  }
  const retried = results.records
    .filter((r) => r.scenario === scenario.id && r.retried)
    .map((r) => `${LIBRARY_NAMES[r.library]}, round ${r.round + 1}: ${r.retried}`);
  if (retried.length > 0) {
    lines.push("", "Runs repeated once after a failed first attempt:", ...retried.map((f) => `- ${f}`));
  }
  const failed = failures(results, scenario.id);
  if (failed.length > 0)
    lines.push("", "Failed runs (left out of the medians):", ...failed.map((f) => `- ${f}`));
  return lines;
}

/** Per command, the median over rounds of calls and microseconds per job. */
function profileTable(results: Results, scenario: Scenario): string[] {
  const ignored = new Set(["info", "flushall", "dbsize"]);
  const perLibrary = new Map<Library, Map<string, { calls: number[]; usec: number[] }>>();
  const cpu = new Map<Library, number[]>();
  for (const record of results.records) {
    const profile: RedisProfile | undefined = record.measurement?.profile;
    if (record.scenario !== scenario.id || !profile) continue;
    const commands = perLibrary.get(record.library) ?? new Map();
    perLibrary.set(record.library, commands);
    for (const c of profile.commands) {
      if (ignored.has(c.command)) continue;
      const entry = commands.get(c.command) ?? { calls: [], usec: [] };
      entry.calls.push(c.callsPerJob);
      entry.usec.push(c.usecPerJob);
      commands.set(c.command, entry);
    }
    cpu.set(record.library, [...(cpu.get(record.library) ?? []), profile.cpuUsPerJob]);
  }
  const rows = new Map<string, number>();
  for (const commands of perLibrary.values()) {
    for (const [command, entry] of commands) {
      const usec = spread(entry.usec)?.median ?? 0;
      const calls = spread(entry.calls)?.median ?? 0;
      if (usec < 0.05 && calls < 0.01) continue;
      rows.set(command, Math.max(rows.get(command) ?? 0, usec));
    }
  }
  const ordered = [...rows.entries()].sort((a, b) => b[1] - a[1]).map(([command]) => command);
  const libraries = results.libraries;
  const header = libraries.map((l) => `${LIBRARY_NAMES[l]} calls | ${LIBRARY_NAMES[l]} µs`).join(" | ");
  const lines = [`| command | ${header} |`, `|---|${libraries.map(() => "---:|---:").join("|")}|`];
  for (const command of ordered) {
    const cells = libraries.map((l) => {
      const entry = perLibrary.get(l)?.get(command);
      if (!entry) return "· | ·";
      return `${num(spread(entry.calls)?.median ?? 0, 2)} | ${num(spread(entry.usec)?.median ?? 0, 2)}`;
    });
    lines.push(`| ${command.toUpperCase()} | ${cells.join(" | ")} |`);
  }
  const totals = libraries.map((l) => {
    const median = spread(cpu.get(l) ?? [])?.median;
    return ` | ${median === undefined ? "—" : num(median, 1)}`;
  });
  lines.push(`| **Redis main-thread CPU µs/job** | ${totals.join(" | ")} |`);
  return lines;
}

function settingsNotes(sizes: Sizes, libraries: readonly Library[]): string[] {
  const notes: Record<Library, string> = {
    tq:
      "- **tq**: `new Queue(name, { connection: url })`, `new Worker(name, { noop }, { connection: url, concurrency })`. " +
      "Default retention (newest 1,000 completed, 10,000 failed), lease 30 s.",
    baseline: "- **tq (baseline)**: the same role scripts and settings as tq, loading the baseline's build.",
    bullmq:
      "- **BullMQ**: one ioredis connection per `Queue` and per `Worker` (`new Redis(url)`); the worker's has " +
      "`maxRetriesPerRequest: null`, which BullMQ requires for workers. Default job options " +
      "(removeOnComplete/removeOnFail keep every job), lock 30 s, stalled check every 30 s.",
    "bee-queue":
      "- **Bee-Queue**: `new BeeQueue(name, { redis: { host, port } })` for producers and workers alike, so the " +
      "producer's queue also has the defaults `isWorker`, `getEvents` and `storeJobs` on (it subscribes to job " +
      "events and keeps its created jobs in memory); removeOnSuccess/removeOnFailure false.",
    floor:
      "- **raw lists (floor)**: not a queue library but the smallest at-least-once queue on Redis lists, on " +
      "node-redis like tq: `LPUSH` of JSON payloads (one `LPUSH` per bulk call), a worker that moves up to its free " +
      "slots to a processing list with pipelined `LMOVE`s (`BLMOVE` on its own connection when the list is empty) " +
      "and removes each finished payload with `LREM`. No job records, retries, leases, events or counters: what " +
      "Redis and the client allow on this machine, the yardstick for the other columns.",
  };
  return [
    "Each library runs with its defaults; what the harness sets:",
    "",
    ...libraries.map((l) => notes[l]),
    `- Job payload \`{ i, t }\` (two numbers) for every library; the handler is an empty async function.`,
    `- Bulk enqueues go ${sizes.bulkBatch.toLocaleString("en-US")} jobs per call for every library ` +
      "(tq's `enqueueMany` stores each call in one all-or-nothing script call; it takes up to 1,000 jobs).",
  ];
}

function loadSentence(input: ReportInput): string {
  const loads = input.results.records.map((r) => r.load);
  const range = spread(loads);
  const idle = input.machine.cpus;
  const words =
    range && range.max > idle / 2
      ? "The machine was not idle (other work ran beside the benchmark): "
      : "The machine was otherwise quiet: ";
  return (
    `${words}the 1-minute load average was ${input.machine.loadStart.toFixed(1)} at the start and ` +
    `${input.loadEnd.toFixed(1)} at the end` +
    (range
      ? `, ${range.min.toFixed(1)}–${range.max.toFixed(1)} at the starts of the runs (median ${range.median.toFixed(1)}).`
      : ".")
  );
}

/** "a", "a and b", "a, b and c". */
function listOf(words: readonly string[]): string {
  return words.length <= 1 ? (words[0] ?? "") : `${words.slice(0, -1).join(", ")} and ${words.at(-1)}`;
}

/** What the report says about the baseline, when one ran: which commits, and how the two ratios differ. */
function baselineNotes(input: ReportInput): { ratios: string; intro: string[] } {
  const { results, machine } = input;
  const baseline = machine.tqBuilds.find((b) => b.library === "baseline");
  if (!baseline || !results.libraries.includes("baseline")) return { ratios: "", intro: [] };
  const tq = machine.tqBuilds.find((b) => b.library === "tq");
  const intro = [
    `**Baseline.** tq (baseline) is commit ${baseline.commit}` +
      (tq ? `, measured against tq at commit ${tq.commit}` : "") +
      ": the same tq role scripts and settings, loading a frozen copy of the baseline checkout's built packages, " +
      "in every scenario and round, rotating with the other libraries. A baseline checkout is made with " +
      `\`git worktree add ../base ${baseline.commit}\` and \`pnpm install && pnpm build\` in it.`,
    "",
  ];
  const ratios = results.libraries.includes("tq")
    ? " **tq/baseline** is the ratio of the two medians; **tq/baseline paired** is the median over rounds of tq's " +
      "value in a round divided by the baseline's in the same round (min–max in brackets). The two builds run " +
      "within a few seconds of each other in each round, so each pair saw nearly the same machine: on a busy " +
      "machine the paired ratio is the one to read."
    : "";
  return { ratios, intro };
}

/** The median of one column, or undefined. */
function median(
  results: Results,
  scenario: string,
  library: Library,
  key: string | "value",
): number | undefined {
  return columnSpread(results, scenario, library, key)?.median;
}

const ratioText = (a: number | undefined, b: number | undefined) =>
  a === undefined || b === undefined || b === 0 ? "—" : times(a / b);

/**
 * The backlog-growth section: each library's process and enqueue rates behind every backlog that ran, the largest
 * backlog's rate over the smallest's (and with the delayed jobs over without), and the memory per waiting job.
 */
function backlogSection(input: ReportInput): string[] {
  const { results } = input;
  const ran = results.scenarios.filter((s) => backlogOf(s) && !results.skipped.has(s.id));
  const pendingOnly = ran.filter((s) => (backlogOf(s)?.delayed ?? 0) === 0);
  const delayed = ran.filter((s) => (backlogOf(s)?.delayed ?? 0) > 0);
  if (ran.length === 0) return [];
  const smallest = pendingOnly[0];
  const largest = pendingOnly.length > 1 ? pendingOnly.at(-1) : undefined;
  const out: string[] = [
    "### Backlog growth",
    "",
    "The same enqueue and process runs behind growing backlogs (the scenarios below, one per backlog). A queue that " +
      "stays flat keeps its rates as the backlog grows: the ratio columns divide the rate behind the largest backlog " +
      "(and behind the delayed jobs) by the rate behind the smallest. Medians over rounds.",
    "",
  ];
  if (input.backlogChartFile) out.push(`![Rate against backlog size](${input.backlogChartFile})`, "");
  for (const [what, key] of [
    ["Process, jobs/s", "value"],
    ["Enqueue, jobs/s", "enqueueRate"],
  ] as const) {
    const ratioHeads: string[] = [];
    if (smallest && largest) ratioHeads.push(`${largest.short} / ${smallest.short}`);
    for (const d of delayed) if (smallest) ratioHeads.push(`${d.short} / ${smallest.short}`);
    out.push(
      `| ${what} | ${[...ran.map((s) => s.short), ...ratioHeads].join(" | ")} |`,
      `|---|${[...ran, ...ratioHeads].map(() => "---:").join("|")}|`,
    );
    for (const library of results.libraries) {
      const cells = ran.map((s) => {
        const m = median(results, s.id, library, key);
        return m === undefined ? "—" : num(m, 0);
      });
      const base = smallest ? median(results, smallest.id, library, key) : undefined;
      if (smallest && largest) cells.push(ratioText(median(results, largest.id, library, key), base));
      for (const d of delayed) cells.push(ratioText(median(results, d.id, library, key), base));
      out.push(`| ${LIBRARY_NAMES[library]} | ${cells.join(" | ")} |`);
    }
    out.push("");
  }
  const memoryHeads = ran.map((s) => s.short);
  out.push(
    `| Redis bytes per waiting job | ${memoryHeads.join(" | ")} |`,
    `|---|${memoryHeads.map(() => "---:").join("|")}|`,
  );
  for (const library of results.libraries) {
    const cells = ran.map((s) => {
      const m = median(results, s.id, library, "bytesPerWaiting");
      return m === undefined ? "—" : num(m, 0);
    });
    out.push(`| ${LIBRARY_NAMES[library]} | ${cells.join(" | ")} |`);
  }
  out.push("");
  return out;
}

/** The markdown between the bench markers. */
export function renderReport(input: ReportInput): string {
  const { results, machine, sizes } = input;
  const libraries = results.libraries;
  const ratioCols = ratioColumns(libraries);
  const baseline = baselineNotes(input);
  const builds = machine.tqBuilds.map((b) => `${LIBRARY_NAMES[b.library]} from ${b.source}`).join("; ");
  const out: string[] = [];
  out.push(
    `## ${listOf(libraries.map((l) => LIBRARY_NAMES[l]))} side by side`,
    "",
    `Measured ${input.date.toISOString().slice(0, 16).replace("T", " ")} UTC on ${machine.cpus} vCPUs ` +
      `(${machine.cpuModel}), ${machine.memoryGiB.toFixed(1)} GiB RAM; Node ${machine.node}, Redis ` +
      `${machine.redis} (private \`redis-server\`, no persistence: \`appendonly no\`, \`save ""\`).`,
    "",
    `Versions: ${Object.entries(machine.versions)
      .map(([name, version]) => `${name} ${version}`)
      .join(", ")}.${builds ? ` ${builds}.` : ""}`,
    "",
    "Reproduce (from the repository root; Redis must be installed, the harness starts its own server):",
    "",
    "```sh",
    input.command,
    "```",
    "",
    `${results.rounds} round(s)${input.quick ? " in `--quick` mode (job counts ÷ 10)" : ""}, ` +
      `${(results.elapsedMs / 60_000).toFixed(1)} min in all. Each round runs every scenario for every library, ` +
      "the order of the libraries rotating from one run to the next; the server is flushed (`FLUSHALL`) before " +
      "each run. Producers and workers are separate Node processes (`node --import tsx`), talking to the runner " +
      "over IPC; timings are taken inside them. Cells are the median over rounds, with min–max in brackets. " +
      "Ratios divide tq's median by the other library's." +
      baseline.ratios,
    "",
    ...baseline.intro,
    `**Noise.** Redis, the producer and the worker share ${machine.cpus} vCPUs. ${loadSentence(input)} ` +
      "Differences within the min–max spread are not findings; compare libraries within this run only.",
    "",
    "### Summary",
    "",
    `| scenario | ${[...libraries.map((l) => LIBRARY_NAMES[l]), ...ratioCols.map((c) => c.label)].join(" | ")} |`,
    `|---|${[...libraries, ...ratioCols].map(() => "---:").join("|")}|`,
  );
  for (const scenario of results.scenarios) {
    const label = `${scenario.title} (${scenario.primary.label}, ${scenario.higherIsBetter ? "higher" : "lower"} is better)`;
    const skipped = results.skipped.get(scenario.id);
    if (skipped) {
      out.push(`| ${label} | ${skipped} |${" |".repeat(libraries.length + ratioCols.length - 1)}`);
      continue;
    }
    const cells = [
      ...libraries.map((l) => cell(columnSpread(results, scenario.id, l, "value"), scenario.primary.digits)),
      ...ratioCols.map((c) => c.cell(results, scenario.id)),
    ];
    out.push(`| ${label} | ${cells.join(" | ")} |`);
  }
  out.push("");
  if (input.chartFile) out.push(`![Throughput per scenario and library](${input.chartFile})`, "");
  out.push(...backlogSection(input));
  for (const scenario of results.scenarios) {
    out.push(`### ${scenario.title}`, "", scenario.description, "");
    const skipped = results.skipped.get(scenario.id);
    if (skipped) out.push(`Not run: ${skipped.replace(/^not run: /, "")}.`, "");
    else out.push(...scenarioTable(results, scenario), "");
  }
  out.push("### Settings", "", ...settingsNotes(sizes, libraries), "");
  if (input.profile) {
    out.push(
      "### Where Redis spends its time (`--profile`)",
      "",
      "`INFO commandstats` deltas over each run, divided by the number of jobs: calls per job and microseconds " +
        "per job, per command (median over rounds). Commands that scripts and transactions run are counted " +
        "under their own names as well, so `EVALSHA` and `EXEC` time includes the time of the commands inside " +
        "them: do not add the rows up. The microseconds are wall-clock time inside Redis and grow when the " +
        "busy machine takes the CPU away from Redis mid-command; the last row, Redis's main-thread CPU time per job " +
        "(`INFO cpu`), does not, and is the one number to compare.",
      "",
    );
    for (const scenario of results.scenarios) {
      if (!scenario.profiled || results.skipped.has(scenario.id)) continue;
      out.push(`#### ${scenario.title}`, "", ...profileTable(results, scenario), "");
    }
  }
  return out.join("\n").trimEnd();
}
