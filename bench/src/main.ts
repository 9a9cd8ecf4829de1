/**
 * Benchmarks tq against BullMQ and Bee-Queue (and, with `--baseline`, against another tq build) on a private
 * redis-server, side by side in one run, and writes the results to docs/benchmarks.md (between the bench markers)
 * and docs/benchmarks.svg, or prints them.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { startRedis } from "@tq/testing";
import { renderBacklogChart, renderChart } from "./chart.js";
import { REPO_DIR } from "./child.js";
import { parseArgs, reproduceCommand, UsageError } from "./cli.js";
import { writeRegion } from "./docs-file.js";
import { loadNow, machineInfo } from "./machine.js";
import type { Library } from "./protocol.js";
import { RedisAdmin } from "./redis-admin.js";
import { renderReport } from "./report.js";
import { runAll } from "./runner.js";
import { BACKLOG_PREFIX, backlogOf, LIBRARY_NAMES, scenarios, sizes } from "./scenarios.js";
import { snapshotTq, type TqSnapshot, tqCheckoutProblem } from "./tq-snapshot.js";

const DOCS_DIR = join(REPO_DIR, "docs");
const CHART_FILE = "benchmarks.svg";
const BACKLOG_CHART_FILE = "benchmarks-backlog.svg";

async function main(): Promise<void> {
  const options = parseArgs(process.argv.slice(2));
  const size = sizes(options.quick);
  let selected = scenarios(size);
  if (options.only.length > 0) {
    // "backlog" stands for every backlog-growth scenario
    const wanted = (id: string) =>
      options.only.includes(id) || (id.startsWith(BACKLOG_PREFIX) && options.only.includes("backlog"));
    const unknown = options.only.filter((id) => id !== "backlog" && !selected.some((s) => s.id === id));
    if (unknown.length > 0) throw new UsageError(`unknown scenario(s): ${unknown.join(", ")}`);
    selected = selected.filter((s) => wanted(s.id));
  }
  const problem = options.baseline && tqCheckoutProblem(options.baseline);
  if (problem) throw new UsageError(`--baseline: ${problem}`);

  const snapshots = new Map<Library, TqSnapshot>();
  const removeSnapshots = () => {
    for (const snapshot of snapshots.values()) snapshot.remove();
  };
  try {
    if (options.libraries.includes("tq")) snapshots.set("tq", await snapshotTq());
    if (options.baseline) snapshots.set("baseline", await snapshotTq(options.baseline));
  } catch (error) {
    removeSnapshots();
    throw error;
  }
  for (const [library, snapshot] of snapshots) {
    console.log(
      `${LIBRARY_NAMES[library]} build from ${snapshot.source} in ${snapshot.repo}, built ` +
        `${snapshot.builtAt.toISOString()}, copied to ${snapshot.root}`,
    );
  }
  const server = await startRedis({ appendonly: false });
  // Anything that falls back to REDIS_URL talks to the private server, never to the shared one.
  process.env.REDIS_URL = server.url;
  const stop = async () => {
    await server.stop();
    removeSnapshots();
  };
  process.once("SIGINT", () => void stop().finally(() => process.exit(130)));
  let admin: RedisAdmin | undefined;
  try {
    admin = await RedisAdmin.open(server.url);
    const machine = machineInfo(await admin.version(), snapshots);
    console.log(
      `private redis-server ${machine.redis} on ${server.url}; ${machine.cpus} vCPUs, load ${machine.loadStart.toFixed(2)}`,
    );
    const results = await runAll(selected, {
      url: server.url,
      admin,
      rounds: options.runs,
      timeoutMs: options.timeoutS * 1000,
      libraries: options.libraries,
      tqRoots: new Map([...snapshots].map(([library, snapshot]) => [library, snapshot.root])),
      log: (line) => console.log(line),
    });
    const date = new Date();
    const backlogRan = results.scenarios.some((s) => backlogOf(s) && !results.skipped.has(s.id));
    const report = renderReport({
      results,
      machine,
      loadEnd: loadNow(),
      date,
      command: reproduceCommand(options),
      sizes: size,
      quick: options.quick,
      profile: options.profile,
      ...(options.write ? { chartFile: CHART_FILE } : {}),
      ...(options.write && backlogRan ? { backlogChartFile: BACKLOG_CHART_FILE } : {}),
    });
    // A run against a baseline is read on the terminal (for a note), whether or not it also writes docs/.
    if (!options.write || options.baseline) console.log(`\n${report}`);
    if (options.write) {
      const subtitle = `${machine.cpus} vCPUs, Node ${machine.node}, Redis ${machine.redis}, ${results.rounds} round(s)${options.quick ? ", --quick" : ""}, ${date.toISOString().slice(0, 10)}`;
      writeFileSync(join(DOCS_DIR, CHART_FILE), renderChart(results, subtitle));
      if (backlogRan)
        writeFileSync(join(DOCS_DIR, BACKLOG_CHART_FILE), renderBacklogChart(results, subtitle));
      writeRegion(join(DOCS_DIR, "benchmarks.md"), report);
      console.log(
        `\nwrote docs/benchmarks.md (bench section), docs/${CHART_FILE}` +
          (backlogRan ? ` and docs/${BACKLOG_CHART_FILE}` : ""),
      );
    } else if (options.baseline) {
      console.log("\nleft docs/ alone (a run with --baseline writes them only with --write)");
    }
    const failed = results.records.filter((r) => r.error).length;
    if (failed > 0) console.log(`${failed} run(s) failed; see the report`);
  } finally {
    await admin?.close();
    await stop();
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(error instanceof UsageError ? 2 : 1);
});
