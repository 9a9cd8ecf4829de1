import { JOB_SCHEMA_VERSION } from "@tq/job-schema";
import { describe, expect, test } from "vitest";
import { JOB_FIELDS, parseJobInfo } from "./job-info.js";
import { encodeJobRecord } from "./record.js";

const record = encodeJobRecord(
  {
    v: JOB_SCHEMA_VERSION,
    id: "job-1",
    task: "send_email",
    args: ["user@example.com", "Welcome!"],
    opts: { priority: "high", maxRetries: 5 },
    createdAt: 1_700_000_000_000,
  },
  1_000_000,
);

/** The HMGET reply for the given hash fields, in {@link JOB_FIELDS} order. */
function row(fields: Partial<Record<(typeof JOB_FIELDS)[number], string>>): Array<string | null> {
  return JOB_FIELDS.map((name) => fields[name] ?? null);
}

describe("parseJobInfo", () => {
  test("a missing job (no state) is null", () => {
    expect(parseJobInfo("emails", "job-1", row({}))).toBeNull();
    expect(parseJobInfo("emails", "job-1", [])).toBeNull();
  });

  test("a completed job with its result and timestamps", () => {
    const error = { name: "Error", message: "boom", attempt: 1 };
    expect(
      parseJobInfo(
        "emails",
        "job-1",
        row({
          ...record,
          state: "completed",
          pri: "high",
          att: "2",
          maxr: "5",
          runAt: "1700000000500",
          startedAt: "1700000001000",
          finishedAt: "1700000002000",
          result: '{"delivered":true}',
          error: JSON.stringify(error),
          errors: JSON.stringify([error]),
          progress: "100",
          wid: "worker-7",
          stalls: "1",
        }),
      ),
    ).toEqual({
      id: "job-1",
      queue: "emails",
      task: "send_email",
      args: ["user@example.com", "Welcome!"],
      status: "completed",
      priority: "high",
      attempts: 2,
      maxRetries: 5,
      createdAt: 1_700_000_000_000,
      startedAt: 1_700_000_001_000,
      finishedAt: 1_700_000_002_000,
      result: { delivered: true },
      error,
      errors: [error],
      errorCount: 1,
      progress: 100,
      workerId: "worker-7",
      stalls: 1,
      waitedMs: 500,
    });
  });

  test("stalls is 0 without the field; waitedMs counts from createdAt without runAt, never below 0", () => {
    const active = parseJobInfo("q", "j", row({ ...record, state: "active", startedAt: "1700000000250" }));
    expect(active?.stalls).toBe(0);
    expect(active?.waitedMs).toBe(250);
    expect(active?.workerId).toBeUndefined();
    const skewed = parseJobInfo("q", "j", row({ ...record, state: "active", startedAt: "1699999999000" }));
    expect(skewed?.waitedMs).toBe(0);
    expect(parseJobInfo("q", "j", row({ ...record, state: "pending" }))?.waitedMs).toBeUndefined();
  });

  test("a retry waiting for its backoff has no waitedMs: its runAt is after the latest start", () => {
    const info = parseJobInfo(
      "q",
      "j",
      row({ ...record, state: "scheduled", startedAt: "1700000001000", runAt: "1700000009000" }),
    );
    expect(info?.waitedMs).toBeUndefined();
    expect(info?.runAt).toBe(1_700_000_009_000);
  });

  test("errorCount counts every failed run, beyond the entries kept in errors", () => {
    const error = { name: "Error", message: "boom", attempt: 40 };
    const info = parseJobInfo(
      "q",
      "j",
      row({ ...record, state: "failed", errors: JSON.stringify([error]), errn: "40" }),
    );
    expect(info?.errors).toEqual([error]);
    expect(info?.errorCount).toBe(40);
  });

  test("runAt shows only while scheduled; result only once completed", () => {
    const scheduled = parseJobInfo(
      "q",
      "job-1",
      row({ ...record, state: "scheduled", runAt: "1700000009000" }),
    );
    expect(scheduled?.status).toBe("scheduled");
    expect(scheduled?.runAt).toBe(1_700_000_009_000);
    const active = parseJobInfo(
      "q",
      "job-1",
      row({ ...record, state: "active", runAt: "1700000009000", result: "1" }),
    );
    expect(active?.runAt).toBeUndefined();
    expect(active?.result).toBeUndefined();
  });

  test("an empty result (a handler that returned undefined) stays undefined; a non-JSON one stays text", () => {
    expect(
      parseJobInfo("q", "j", row({ ...record, state: "completed", result: "" }))?.result,
    ).toBeUndefined();
    expect(parseJobInfo("q", "j", row({ ...record, state: "completed", result: "plain" }))?.result).toBe(
      "plain",
    );
  });

  test("an undecodable record still shows its state and error", () => {
    const error = { name: "TqError", code: "DECODE", message: "undecodable job record: not valid JSON" };
    const info = parseJobInfo(
      "q",
      "bad",
      row({
        v: "1",
        task: "t",
        args: "{not json",
        state: "failed",
        pri: "nonsense",
        att: "x",
        error: JSON.stringify(error),
      }),
    );
    expect(info).toMatchObject({
      id: "bad",
      task: "t",
      args: undefined,
      status: "failed",
      priority: "normal",
      attempts: 0,
      createdAt: 0,
      error,
    });
  });

  test("an unknown state reads as failed", () => {
    expect(parseJobInfo("q", "j", row({ ...record, state: "weird" }))?.status).toBe("failed");
  });
});
