import { describe, expect, test } from "vitest";
import * as protocol from "./index.js";
import { queueKeys, scheduleKeys } from "./keys.js";
import * as generated from "./lua/scripts.generated.js";
import type { ScriptDefinition } from "./script.js";

const k = queueKeys("emails.v2", "app:prod");
const s = scheduleKeys("app:prod");
const run = { id: "j1", token: "7" };

// A typical call of each script: its keys as the callers give them.
const keysOf: Record<string, string[]> = {
  cancel: protocol.cancel.keys(k, { id: "j1" }),
  crashed: protocol.crashed.keys(k, { runs: [] }),
  enqueue: protocol.enqueue.keys(k, { jobs: [] }),
  extend: protocol.extend.keys(k, { leaseMs: 1000, runs: [run] }),
  fire: protocol.fire.keys(k, { ticks: [] }),
  progress: protocol.progress.keys(k, { id: "j1", token: "7", value: "1", maxBytes: 0 }),
  purge: protocol.purge.keys(k, { status: "failed" }),
  recover: protocol.recover.keys(k, { workerId: "worker-1", held: [] }),
  release: protocol.release.keys(k, { runs: [run] }),
  resume: protocol.resume.keys(k, undefined),
  setLimits: protocol.setLimits.keys(k, { concurrency: 2 }),
  holdClaims: protocol.holdClaims.keys(k, { ms: 10 }),
  retry: protocol.retry.keys(k, { all: 10 }),
  sweep: protocol.sweep.keys(k, { limit: 10 }),
  take: protocol.take.keys(k, { workerId: "worker-1", leaseMs: 1000, claim: 1, acks: [] }),
  heartbeat: protocol.heartbeat.keys(k, {
    workerId: "worker-1",
    ttlMs: 1000,
    startedAt: undefined,
    loopAgeMs: 0,
    fields: {},
  }),
  removeWorker: protocol.removeWorker.keys(k, { workerId: "worker-1" }),
  listWorkers: protocol.listWorkers.keys(k, { offset: 0, limit: 10 }),
  advanceSchedules: protocol.advanceSchedules.keys(s, { moves: [] }),
  dueSchedules: protocol.dueSchedules.keys(s, { limit: 10 }),
  removeSchedule: protocol.removeSchedule.keys(s, { name: "n" }),
  upsertSchedule: protocol.upsertSchedule.keys(s, {
    name: "n",
    seen: "",
    definition: "{}",
    nextMs: 1,
    keepNext: false,
  }),
};

/** The `local BASE = string.sub(KEYS[i], 1, -#'<suffix>' - 1)` line of a script, as [i, suffix]. */
function baseFrom(source: string): [number, string] | undefined {
  const m = /local BASE = string\.sub\(KEYS\[(\d+)\], 1, -#'([^']+)' - 1\)/.exec(source);
  return m ? [Number(m[1]), m[2] as string] : undefined;
}

function isScript(value: unknown): value is ScriptDefinition<unknown, unknown, unknown> {
  return typeof value === "function" && typeof (value as { sha1?: unknown }).sha1 === "string";
}

const exported = (Object.values(protocol) as unknown[]).filter(isScript);

describe("Lua scripts and their KEYS", () => {
  test("every .lua script is exported from the package root as a script object of the same source", () => {
    const sources = Object.values(generated);
    expect(exported.map((e) => e.name).sort()).toEqual(sources.map((g) => g.name).sort());
    for (const lua of sources) {
      const script = exported.find((e) => e.name === lua.name);
      expect(script?.sha1, lua.name).toBe(lua.sha1);
      expect(script?.numKeys).toBe(lua.numKeys);
    }
  });

  test("every script has a key list with as many keys as its name says", () => {
    for (const script of exported) {
      expect(keysOf[script.name], script.name).toBeDefined();
      expect(keysOf[script.name], script.name).toHaveLength(script.numKeys);
    }
  });

  test("a script that builds job keys cuts the queue's base from one of its own KEYS, never from ARGV", () => {
    for (const script of exported) {
      const builds = script.source.includes("BASE");
      if (!builds) continue;
      expect(script.source, script.name).not.toMatch(/BASE\s*=\s*ARGV/);
      const from = baseFrom(script.source);
      expect(from, `${script.name} derives BASE from KEYS`).toBeDefined();
      const [index, suffix] = from as [number, string];
      const key = keysOf[script.name]?.[index - 1] as string;
      // the caller's key at that position is `<base><suffix>`, so the script's base is the queue's
      expect(key, script.name).toBe(`${k.base}${suffix}`);
    }
  });
});
