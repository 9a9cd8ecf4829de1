import { loadavg } from "node:os";
import type { RoleProcess } from "./child.js";
import type { Library } from "./protocol.js";
import type { RedisAdmin } from "./redis-admin.js";
import { LIBRARY_NAMES, type Measurement, type Scenario } from "./scenarios.js";

/** One library's run of one scenario in one round. */
export interface RunRecord {
  scenario: string;
  library: Library;
  round: number;
  /** The 1-minute load average when the run started. */
  load: number;
  measurement?: Measurement;
  error?: string;
  /** Why the first attempt failed, when this record is its retry. */
  retried?: string;
}

export interface Results {
  scenarios: Scenario[];
  /** The libraries that ran, in report order. */
  libraries: readonly Library[];
  /** Scenarios not run, with the reason. */
  skipped: Map<string, string>;
  records: RunRecord[];
  rounds: number;
  elapsedMs: number;
}

export interface RunnerOptions {
  url: string;
  admin: RedisAdmin;
  rounds: number;
  timeoutMs: number;
  /** The libraries to run, in report order. */
  libraries: readonly Library[];
  /** For each tq build that runs (`tq`, `baseline`), the snapshot its role processes load. */
  tqRoots: ReadonlyMap<Library, string>;
  log: (line: string) => void;
}

/** The order the libraries run in, rotated by one place per step so none always runs first (or last). */
export function rotation(libraries: readonly Library[], step: number): Library[] {
  const k = step % libraries.length;
  return [...libraries.slice(k), ...libraries.slice(0, k)];
}

function fmt(scenario: Scenario, m: Measurement): string {
  return `${m.value.toFixed(scenario.primary.digits)} ${scenario.primary.label}`;
}

/**
 * Runs every scenario for every library, `rounds` times: round after round, scenario after scenario, the libraries in
 * a rotating order. The private server is flushed before each run.
 */
export async function runAll(scenarios: Scenario[], options: RunnerOptions): Promise<Results> {
  const started = Date.now();
  const skipped = new Map<string, string>();
  for (const scenario of scenarios) {
    const reason = await scenario.skipReason?.(options.tqRoots);
    if (reason) {
      skipped.set(scenario.id, reason);
      options.log(`${scenario.id}: ${reason}`);
    }
  }
  const records: RunRecord[] = [];
  let step = 0;
  for (let round = 0; round < options.rounds; round++) {
    for (const scenario of scenarios) {
      if (skipped.has(scenario.id)) continue;
      for (const library of rotation(options.libraries, step++)) {
        let record = await runOnce(scenario, library, round, options);
        if (record.error) {
          // A transient failure (a package rebuilt under the run, a process that could not start) gets one retry.
          options.log(`  failed (${record.error}); retrying once`);
          await new Promise((resolve) => setTimeout(resolve, 3_000));
          record = { ...(await runOnce(scenario, library, round, options)), retried: record.error };
        }
        records.push(record);
      }
    }
  }
  return {
    scenarios,
    libraries: options.libraries,
    skipped,
    records,
    rounds: options.rounds,
    elapsedMs: Date.now() - started,
  };
}

async function runOnce(
  scenario: Scenario,
  library: Library,
  round: number,
  options: RunnerOptions,
): Promise<RunRecord> {
  await options.admin.flushAll();
  const roles = new Set<RoleProcess>();
  const record: RunRecord = { scenario: scenario.id, library, round, load: loadavg()[0] ?? 0 };
  const root = options.tqRoots.get(library);
  const t0 = Date.now();
  let timer: NodeJS.Timeout | undefined;
  try {
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`timed out after ${options.timeoutMs} ms`)),
        options.timeoutMs,
      );
    });
    record.measurement = await Promise.race([
      scenario.run(library, {
        url: options.url,
        admin: options.admin,
        queue: `bench-${scenario.id}-${library}-${round}`,
        timeoutMs: options.timeoutMs,
        env: root ? { TQ_BENCH_TQ_ROOT: root } : {},
        track: (role) => {
          roles.add(role);
          return role;
        },
      }),
      timeout,
    ]);
  } catch (error) {
    record.error = error instanceof Error ? error.message.split("\n")[0] : String(error);
  } finally {
    clearTimeout(timer);
    for (const role of roles) role.kill();
  }
  const took = ((Date.now() - t0) / 1000).toFixed(1);
  options.log(
    `round ${round + 1}/${options.rounds} ${scenario.id.padEnd(18)} ${LIBRARY_NAMES[library].padEnd(13)} ` +
      `${record.measurement ? fmt(scenario, record.measurement) : `FAILED: ${record.error}`} ` +
      `(${took} s, load ${record.load.toFixed(1)})`,
  );
  return record;
}
