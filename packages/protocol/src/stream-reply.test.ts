import { describe, expect, test } from "vitest";
import { parseXRead } from "./stream-reply.js";

const STREAM = "tq:{emails}:events";
const entries = [
  ["1700000000000-0", ["e", "completed", "id", "job-1"]],
  ["1700000000000-1", ["e", "failed", "id", "job-2", "extra", "x"]],
];
const parsed = [
  { id: "1700000000000-0", fields: { e: "completed", id: "job-1" } },
  { id: "1700000000000-1", fields: { e: "failed", id: "job-2", extra: "x" } },
];

describe("parseXRead", () => {
  test("RESP2: an array of [stream, entries] pairs", () => {
    expect(parseXRead([[STREAM, entries]], STREAM)).toEqual(parsed);
    expect(
      parseXRead(
        [
          ["other", [entries[0]]],
          [STREAM, entries],
        ],
        STREAM,
      ),
    ).toEqual(parsed);
  });

  test("RESP3: a map, as a plain object or a Map", () => {
    expect(parseXRead({ [STREAM]: entries }, STREAM)).toEqual(parsed);
    expect(parseXRead(new Map([[STREAM, entries]]), STREAM)).toEqual(parsed);
  });

  test("a timed-out read (null) or another stream gives no entries", () => {
    expect(parseXRead(null, STREAM)).toEqual([]);
    expect(parseXRead(undefined, STREAM)).toEqual([]);
    expect(parseXRead([["other", entries]], STREAM)).toEqual([]);
    expect(parseXRead({ other: entries }, STREAM)).toEqual([]);
    expect(parseXRead(new Map([["other", entries]]), STREAM)).toEqual([]);
  });

  test("stream names and values given as Buffers are read as strings", () => {
    const reply = [
      [Buffer.from(STREAM), [[Buffer.from("1-0"), [Buffer.from("e"), Buffer.from("completed")]]]],
    ];
    expect(parseXRead(reply, STREAM)).toEqual([{ id: "1-0", fields: { e: "completed" } }]);
  });

  test("skips malformed entries and an odd trailing field", () => {
    expect(
      parseXRead([[STREAM, ["junk", ["2-0", ["e", "completed", "id"]], ["3-0", null]]]], STREAM),
    ).toEqual([
      { id: "2-0", fields: { e: "completed" } },
      { id: "3-0", fields: {} },
    ]);
    expect(parseXRead("OK", STREAM)).toEqual([]);
  });
});
