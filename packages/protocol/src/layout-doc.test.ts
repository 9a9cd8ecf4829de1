import { readFileSync } from "node:fs";
import { describe, expect, test } from "vitest";
import { JOB_FIELDS } from "./job-info.js";
import { queueKeys, queuesKey, scheduleKeys, schedulesKey } from "./keys.js";
import * as generated from "./lua/scripts.generated.js";
import { JOB_RECORD_FIELDS } from "./record.js";
import { WORKER_FIELDS } from "./worker-info.js";

// docs/redis-layout.md describes the layout this package builds; these checks fail when one of them changes
// without the other.

const doc = readFileSync(new URL("../../../docs/redis-layout.md", import.meta.url), "utf8");

/** The first cell (in backticks) of every row of the markdown tables, split on ` / ` and `, `. */
function firstCells(text: string): string[] {
  const cells: string[] = [];
  for (const line of text.split("\n")) {
    const m = /^\| (.+?) \|/.exec(line);
    if (!m || /^-+$/.test(m[1] as string)) continue;
    for (const part of (m[1] as string).matchAll(/`([^`]+)`/g)) cells.push(part[1] as string);
  }
  return cells;
}

const [keyTable = "", scriptTable = ""] = doc.split("## Scripts");
const documentedKeys = firstCells(keyTable);
const documentedScripts = firstCells(scriptTable);

/** A key as the doc writes it: prefix and queue as placeholders, the variable part after the last placeholder. */
function asDocumented(key: string): string {
  return key
    .replaceAll("{q}", "{<queue>}")
    .replaceAll("{p:schedules}", "{<prefix>:schedules}")
    .replace(/^p:/, "<prefix>:")
    .replace(/job:id$/, "job:<id>")
    .replace(/claims:w$/, "claims:<workerId>")
    .replace(/worker:w$/, "worker:<workerId>")
    .replace(/dedupe:k$/, "dedupe:<key>")
    .replace(/group:g$/, "group:<name>")
    .replace(/gstarts:g$/, "gstarts:<name>");
}

describe("docs/redis-layout.md", () => {
  const k = queueKeys("q", "p");
  const s = scheduleKeys("p");
  const keys = [
    k.job("id"),
    k.pending.high,
    k.pending.normal,
    k.pending.low,
    k.scheduled,
    k.active,
    k.completed,
    k.failed,
    k.marker,
    k.events,
    k.cancelChannel,
    k.throughput,
    k.starts,
    k.dedupe("k"),
    k.group("g"),
    k.groupStarts("g"),
    k.groups,
    k.groupActive,
    k.groupWait,
    k.workers,
    k.meta,
    k.fired,
    k.claims("w"),
    k.workers,
    k.worker("w"),
    queuesKey("p"),
    schedulesKey("p"),
    s.defs,
    s.next,
  ].map(asDocumented);

  test("lists every key the protocol builds", () => {
    // `:normal` / `:low` are written as suffixes of the high list in one row
    const rows = documentedKeys.map((key) =>
      key.startsWith(":") ? `<prefix>:{<queue>}:pending${key}` : key,
    );
    expect(keys.filter((key) => !rows.includes(key))).toEqual([]);
  });

  test("lists no key the protocol does not build", () => {
    const rows = documentedKeys.filter((key) => !key.startsWith(":"));
    expect(rows.filter((row) => !keys.includes(row))).toEqual([]);
  });

  test("names every field of a job's hash", () => {
    const jobRow =
      keyTable.split("\n").find((line) => line.startsWith("| `<prefix>:{<queue>}:job:<id>`")) ?? "";
    const fields = new Set([...JOB_RECORD_FIELDS, ...JOB_FIELDS]);
    expect([...fields].filter((field) => !jobRow.includes(`\`${field}\``))).toEqual([]);
  });

  test("names every field of a worker's hash", () => {
    const row =
      keyTable.split("\n").find((line) => line.startsWith("| `<prefix>:{<queue>}:worker:<workerId>`")) ?? "";
    expect(WORKER_FIELDS.filter((field) => !row.includes(`\`${field}\``))).toEqual([]);
  });

  test("lists every script as <name>-<number of keys>, and no other", () => {
    const scripts = Object.values(generated).map((lua) => `${lua.name}-${lua.numKeys}`);
    expect(scripts.filter((name) => !documentedScripts.includes(name))).toEqual([]);
    expect(documentedScripts.filter((name) => !scripts.includes(name))).toEqual([]);
  });
});
