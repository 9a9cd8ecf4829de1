import * as api from "@opentelemetry/api";
import { JOB_SCHEMA_VERSION } from "@tq/job-schema";
import { describe, expect, test } from "vitest";
import { JOB_FIELDS, parseJobInfo } from "./job-info.js";
import { prepareJob } from "./prepare-job.js";
import { decodeJobRecord, encodeJobRecord, JOB_RECORD_FIELDS, type JobRecord } from "./record.js";
import { tqTracer } from "./tracing.js";

const TRACEPARENT = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";

function values(record: JobRecord): string[] {
  return JOB_RECORD_FIELDS.map((field) => record[field]);
}

function recordWith(trace?: Record<string, string>): JobRecord {
  return encodeJobRecord(
    {
      v: JOB_SCHEMA_VERSION,
      id: "job-1",
      task: "t",
      args: [1],
      opts: { priority: "normal", maxRetries: 3 },
      createdAt: 1,
      ...(trace ? { trace } : {}),
    },
    1_000_000,
  );
}

describe("the lazy @opentelemetry/api loader", () => {
  test("an API that cannot be resolved turns tracing off: no tracer", () => {
    const missing = () => {
      throw Object.assign(new Error("Cannot find module '@opentelemetry/api'"), { code: "MODULE_NOT_FOUND" });
    };
    expect(tqTracer("@tq/client", "1.0.0", missing)).toBeUndefined();
  });

  test("a module that is not the API turns tracing off too", () => {
    expect(tqTracer("@tq/client", "1.0.0", () => ({}))).toBeUndefined();
    expect(tqTracer("@tq/client", "1.0.0", () => undefined)).toBeUndefined();
  });

  test("an injected loader is asked each time; the API it returns gives a tracer", () => {
    let calls = 0;
    const load = () => {
      calls++;
      return api;
    };
    expect(tqTracer("@tq/client", "1.0.0", load)).toBeDefined();
    expect(tqTracer("@tq/client", "1.0.0", load)).toBeDefined();
    expect(calls).toBe(2);
  });

  test("the default loader finds the installed API", () => {
    expect(tqTracer("@tq/client")).toBeDefined();
  });
});

describe("with the API installed and no SDK registered", () => {
  test("no span is made and there is no trace context to store", () => {
    const tracer = tqTracer("@tq/client")!;
    expect(tracer.startPublish("emails", 1)).toBeUndefined();
    expect(tracer.startProcess({ queue: "emails", id: "job-1", attempt: 1, workerId: "w" })).toBeUndefined();
  });
});

describe("the trace context in a job record", () => {
  test("a job without one stores no opts at all", () => {
    expect(recordWith().opts).toBe("");
    expect(decodeJobRecord("job-1", values(recordWith())).trace).toBeUndefined();
  });

  test("is stored under tc in opts and decoded back", () => {
    const record = recordWith({ traceparent: TRACEPARENT });
    expect(JSON.parse(record.opts)).toEqual({ tc: { traceparent: TRACEPARENT } });
    expect(decodeJobRecord("job-1", values(record)).trace).toEqual({ traceparent: TRACEPARENT });
  });

  test("a malformed one is ignored: the job still decodes", () => {
    for (const tc of [[TRACEPARENT], { traceparent: 1 }, "x", null, {}]) {
      const record = { ...recordWith(), opts: JSON.stringify({ timeoutMs: 5, tc }) };
      const envelope = decodeJobRecord("job-1", values(record));
      expect(envelope.trace).toBeUndefined();
      expect(envelope.opts.timeoutMs).toBe(5);
    }
  });

  test("prepareJob stores the trace context it is given, never a tc job option", () => {
    const forged = prepareJob("t", [], { tc: { traceparent: "forged" } } as never, 1_000_000);
    expect(forged.argv[4]).toBe("");
    const traced = prepareJob("t", [], { timeoutMs: 10 }, 1_000_000, { traceparent: TRACEPARENT });
    expect(JSON.parse(traced.argv[4]!)).toEqual({ timeoutMs: 10, tc: { traceparent: TRACEPARENT } });
  });

  test("JobInfo does not show it", () => {
    const record = recordWith({ traceparent: TRACEPARENT });
    const fields: Record<string, string> = { ...record, state: "pending", att: "0" };
    const info = parseJobInfo(
      "emails",
      "job-1",
      JOB_FIELDS.map((name) => fields[name] ?? null),
    );
    expect(info).not.toBeNull();
    expect(JSON.stringify(info)).not.toContain(TRACEPARENT);
  });
});
