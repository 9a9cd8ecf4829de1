import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { JobInfo } from "@tq/client";
import { afterEach, expect, test } from "vitest";
import {
  busiest,
  countStarts,
  inFlight,
  type LedgerEntry,
  readLedger,
  resumedAfter,
  unexplainedExecutions,
} from "./ledger.js";

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function ledgerFile(lines: string[]): string {
  const dir = mkdtempSync(join(tmpdir(), "tq-ledger-"));
  dirs.push(dir);
  const path = join(dir, "ledger.txt");
  writeFileSync(path, `${lines.join("\n")}\n`);
  return path;
}

const start = (id: string, pid: number, attempt: number, at = 0): LedgerEntry => ({
  kind: "S",
  id,
  pid,
  attempt,
  at,
});

function job(id: string, errorCodes: string[] = []): JobInfo {
  return {
    id,
    queue: "q",
    task: "work",
    args: {},
    stalls: 0,
    status: "completed",
    priority: "normal",
    attempts: errorCodes.length + 1,
    maxRetries: 3,
    createdAt: 0,
    errors: errorCodes.map((code, i) => ({ name: "TqError", message: code, code, attempt: i + 1 })),
  };
}

test("readLedger parses starts, ends and aborts with their code, and skips what is not a ledger line", () => {
  const path = ledgerFile(["S a 10 1 100.5", "A a 10 1 200 LEASE_LOST", "garbage", "E b 11 2 300", ""]);
  expect(readLedger(path)).toEqual([
    { kind: "S", id: "a", pid: 10, attempt: 1, at: 100.5 },
    { kind: "A", id: "a", pid: 10, attempt: 1, at: 200, code: "LEASE_LOST" },
    { kind: "E", id: "b", pid: 11, attempt: 2, at: 300 },
  ]);
  expect(countStarts(path)).toBe(1);
  expect(readLedger(join(tmpdir(), "no-such-ledger.txt"))).toEqual([]);
});

test("inFlight and busiest count runs started and not yet ended or aborted", () => {
  const ledger = readLedger(
    ledgerFile([
      "S a 1 1 0",
      "S b 1 1 0",
      "E a 1 1 5",
      "S c 2 1 0",
      "S d 2 1 0",
      "A c 2 1 6 CLOSED",
      "S e 2 1 7",
    ]),
  );
  expect(inFlight(ledger, 1)).toEqual(["b"]);
  expect(inFlight(ledger, 2)).toEqual(["d", "e"]);
  expect(busiest(ledger, [1, 2])).toEqual({ pid: 2, ids: ["d", "e"] });
});

test("resumedAfter is the longest wait until each process started again, undefined if one never did", () => {
  const ledger = [start("a", 1, 1, 90), start("b", 1, 1, 130), start("c", 2, 1, 170)];
  expect(resumedAfter(ledger, 100, [1, 2])).toBe(70);
  expect(resumedAfter(ledger, 100, [1, 2, 3])).toBeUndefined();
});

test("unexplainedExecutions accepts one run, or one more per expired lease, and nothing else", () => {
  const ledger = [
    start("once", 1, 1),
    start("expired", 1, 1),
    start("expired", 2, 2),
    start("twice", 1, 1),
    start("twice", 2, 2),
    start("retried", 1, 1),
    start("retried", 2, 2),
    start("same-claim", 1, 1),
    start("same-claim", 2, 1),
  ];
  const infos = [
    job("once"),
    job("expired", ["LEASE_LOST"]),
    job("twice"),
    job("retried", ["HANDLER"]),
    job("same-claim", ["LEASE_LOST"]),
    job("never"),
  ];
  expect(unexplainedExecutions(infos, ledger).map((u) => u.id)).toEqual([
    "twice",
    "retried",
    "same-claim",
    "never",
  ]);
});
