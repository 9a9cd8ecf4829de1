import { describe, expect, it } from "vitest";
import { renderBacklogChart } from "./chart.js";
import type { MachineInfo } from "./machine.js";
import type { Library } from "./protocol.js";
import { renderReport } from "./report.js";
import type { Results, RunRecord } from "./runner.js";
import { backlogScenarios, type Scenario, shortCount, sizes } from "./scenarios.js";

const scenario = (id: string, title: string): Scenario => ({
  id,
  title,
  short: title,
  description: `${title}, described.`,
  primary: { key: "rate", label: "jobs/s", digits: 0 },
  columns: [],
  higherIsBetter: true,
  chart: true,
  profiled: false,
  run: () => Promise.reject(new Error("not run in tests")),
});

const ENQUEUE = scenario("enqueue", "Enqueue");
const POOL = scenario("pool", "Pool");

function results(values: Partial<Record<Library, number[]>>): Results {
  const records: RunRecord[] = [];
  for (const [library, perRound] of Object.entries(values) as Array<[Library, number[]]>) {
    perRound.forEach((value, round) => {
      records.push({ scenario: "enqueue", library, round, load: 0.5, measurement: { value, extra: {} } });
    });
  }
  return {
    scenarios: [ENQUEUE, POOL],
    libraries: (["tq", "baseline", "bullmq", "bee-queue"] as const).filter((l) => values[l]),
    skipped: new Map([["pool", "not run: no pool"]]),
    records,
    rounds: 3,
    elapsedMs: 60_000,
  };
}

const machine = (withBaseline: boolean): MachineInfo => ({
  cpus: 2,
  cpuModel: "Test CPU",
  memoryGiB: 4,
  node: "v20.20.2",
  redis: "7.0.15",
  versions: { "@tq/client": "0.1.0" },
  tqBuilds: [
    {
      library: "tq",
      commit: "aaaaaaa",
      repo: "/r/new",
      source: "commit aaaaaaa, built 2026-12-03 10:00 UTC",
    },
    ...(withBaseline
      ? [
          {
            library: "baseline" as const,
            commit: "bbbbbbb",
            repo: "/r/base",
            source: "commit bbbbbbb, built 2026-12-01 10:00 UTC",
          },
        ]
      : []),
  ],
  loadStart: 0.5,
});

function render(input: Results, chartFile?: string): string {
  return renderReport({
    results: input,
    machine: machine(input.libraries.includes("baseline")),
    loadEnd: 0.5,
    date: new Date("2026-12-03T12:00:00Z"),
    command: "pnpm bench",
    sizes: sizes(true),
    quick: true,
    profile: false,
    ...(chartFile ? { chartFile } : {}),
  });
}

const report = (values: Partial<Record<Library, number[]>>, chartFile?: string) =>
  render(results(values), chartFile);

const summary = (text: string) => {
  const lines = text.split("\n");
  const start = lines.indexOf("### Summary") + 2;
  return lines.slice(start, start + 4);
};

describe("renderReport", () => {
  it("keeps the three-library tables and ratios when no baseline ran", () => {
    const text = report(
      { tq: [100, 200, 300], bullmq: [100, 100, 100], "bee-queue": [400, 400, 400] },
      "b.svg",
    );
    expect(summary(text)).toEqual([
      "| scenario | tq | BullMQ | Bee-Queue | tq/BullMQ | tq/Bee-Queue |",
      "|---|---:|---:|---:|---:|---:|",
      "| Enqueue (jobs/s, higher is better) | 200 (100–300) | 100 (100–100) | 400 (400–400) | 2.00× | 0.50× |",
      "| Pool (jobs/s, higher is better) | not run: no pool | | | | |",
    ]);
    expect(text).toContain("## tq, BullMQ and Bee-Queue side by side");
    expect(text).toContain(
      "Ratios of medians (jobs/s, higher is better): tq/BullMQ 2.00×, tq/Bee-Queue 0.50×.",
    );
    expect(text).toContain("tq from commit aaaaaaa, built 2026-12-03 10:00 UTC.");
    expect(text).toContain("![Throughput per scenario and library](b.svg)");
    expect(text).not.toMatch(/baseline/i);
  });

  it("adds the baseline's column, the ratio of medians and the paired ratio, and says which is which", () => {
    // medians 200 and 210: 0.95×; per round 100/90, 200/210, 300/250: median 1.11×
    const text = report({ tq: [100, 200, 300], baseline: [90, 210, 250], bullmq: [100, 100, 100] });
    expect(summary(text)).toEqual([
      "| scenario | tq | tq (baseline) | BullMQ | tq/baseline | tq/baseline paired | tq/BullMQ |",
      "|---|---:|---:|---:|---:|---:|---:|",
      "| Enqueue (jobs/s, higher is better) | 200 (100–300) | 210 (90–250) | 100 (100–100) | 0.95× | " +
        "1.11× (0.95–1.20×) | 2.00× |",
      "| Pool (jobs/s, higher is better) | not run: no pool | | | | | |",
    ]);
    expect(text).toContain(
      "**tq/baseline** is the ratio of the two medians; **tq/baseline paired** is the median",
    );
    expect(text).toContain(
      "Ratios of medians (jobs/s, higher is better): tq/baseline 0.95×, tq/BullMQ 2.00×.",
    );
    expect(text).toContain("same round: 1.11× (0.95–1.20×); round by round 1.11×, 0.95×, 1.20×.");
  });

  it("names both commits in a before/after report", () => {
    const text = report({ tq: [100], baseline: [80] });
    expect(text).toContain("## tq and tq (baseline) side by side");
    expect(text).toContain(
      "tq from commit aaaaaaa, built 2026-12-03 10:00 UTC; tq (baseline) from commit bbbbbbb, built 2026-12-01 10:00 UTC.",
    );
    expect(text).toContain(
      "**Baseline.** tq (baseline) is commit bbbbbbb, measured against tq at commit aaaaaaa",
    );
    expect(summary(text).slice(0, 3)).toEqual([
      "| scenario | tq | tq (baseline) | tq/baseline | tq/baseline paired |",
      "|---|---:|---:|---:|---:|",
      "| Enqueue (jobs/s, higher is better) | 100 | 80 | 1.25× | 1.25× |",
    ]);
    expect(text).not.toContain("BullMQ");
    expect(text).not.toContain("![Throughput");
  });

  it("pairs only the rounds in which both builds ran", () => {
    const input = results({ tq: [100, 200, 300], baseline: [100, 100, 100] });
    input.records = input.records.filter((r) => !(r.library === "baseline" && r.round === 1));
    input.records.push({ scenario: "enqueue", library: "baseline", round: 1, load: 0.5, error: "boom" });
    const text = render(input);
    expect(text).toContain("same round: 2.00× (1.00–3.00×); round by round 1.00×, 3.00×.");
    expect(text).toContain("- tq (baseline), round 2: boom");
  });
});

describe("the backlog-growth section", () => {
  const size = sizes(true);
  const backlog = backlogScenarios(size);
  // process rate, enqueue rate, bytes per waiting job: per scenario, per library (one round)
  const measured: Record<string, Partial<Record<Library, [number, number, number]>>> = {
    "backlog-1k": { tq: [40_000, 100_000, 300], bullmq: [10_000, 20_000, 400] },
    "backlog-10k": { tq: [38_000, 98_000, 300], bullmq: [9_000, 19_000, 400] },
    "backlog-100k": { tq: [36_000, 95_000, 300], bullmq: [5_000, 10_000, 400] },
    "backlog-1k-delayed-100k": { tq: [20_000, 50_000, 450], bullmq: [8_000, 18_000, 500] },
  };
  const input: Results = {
    scenarios: backlog,
    libraries: ["tq", "bullmq"],
    skipped: new Map(),
    records: Object.entries(measured).flatMap(([id, perLibrary]) =>
      (Object.entries(perLibrary) as Array<[Library, [number, number, number]]>).map(
        ([library, [value, enqueueRate, bytesPerWaiting]]): RunRecord => ({
          scenario: id,
          library,
          round: 0,
          load: 0.5,
          measurement: { value, extra: { enqueueRate, bytesPerWaiting } },
        }),
      ),
    ),
    rounds: 1,
    elapsedMs: 60_000,
  };

  it("names one scenario per pending backlog and one behind the delayed jobs", () => {
    expect(backlog.map((s) => s.id)).toEqual([
      "backlog-1k",
      "backlog-10k",
      "backlog-100k",
      "backlog-1k-delayed-100k",
    ]);
    expect(shortCount(1_000_000)).toBe("1m");
    expect(shortCount(2_500)).toBe("2500");
  });

  it("divides the rate behind the largest backlog, and behind the delayed jobs, by the smallest's", () => {
    const report = renderReport({
      results: input,
      machine: machine(false),
      loadEnd: 0.5,
      date: new Date("2026-12-03T12:00:00Z"),
      command: "pnpm bench",
      sizes: size,
      quick: true,
      profile: false,
      backlogChartFile: "benchmarks-backlog.svg",
    });
    const section = report.slice(report.indexOf("### Backlog growth"));
    expect(section).toContain("![Rate against backlog size](benchmarks-backlog.svg)");
    // process: 36,000 / 40,000 and 20,000 / 40,000 for tq; 5,000 / 10,000 and 8,000 / 10,000 for BullMQ
    expect(section).toContain("| tq | 40,000 | 38,000 | 36,000 | 20,000 | 0.90× | 0.50× |");
    expect(section).toContain("| BullMQ | 10,000 | 9,000 | 5,000 | 8,000 | 0.50× | 0.80× |");
    // enqueue: 95,000 / 100,000 and 50,000 / 100,000
    expect(section).toContain("| tq | 100,000 | 98,000 | 95,000 | 50,000 | 0.95× | 0.50× |");
    expect(section).toContain("| tq | 300 | 300 | 300 | 450 |");
  });

  it("draws one line per library, with the delayed run as a hollow marker", () => {
    const svg = renderBacklogChart(input, "test");
    expect(svg.match(/<polyline /g)).toHaveLength(2);
    expect(svg.match(/<circle [^>]*fill="#ffffff"/g)).toHaveLength(2);
    expect(svg).toContain(">100,000<");
  });
});
