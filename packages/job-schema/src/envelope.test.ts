import { describe, expect, test } from "vitest";
import {
  DEFAULT_MAX_PAYLOAD_BYTES,
  decodeJob,
  encodeJob,
  JOB_SCHEMA_VERSION,
  type JobEnvelope,
} from "./envelope.js";
import { isTqError, type TqError } from "./errors.js";

function envelope(overrides: Partial<JobEnvelope> = {}): JobEnvelope {
  return {
    v: JOB_SCHEMA_VERSION,
    id: "job-1",
    task: "send_email",
    args: ["user@example.com", "Welcome!"],
    opts: { priority: "normal", maxRetries: 3 },
    createdAt: 1_700_000_000_000,
    ...overrides,
  };
}

function thrown(fn: () => unknown): TqError {
  try {
    fn();
  } catch (error) {
    if (isTqError(error)) return error;
    throw error;
  }
  throw new Error("expected a TqError, nothing was thrown");
}

describe("encodeJob", () => {
  test("round-trips through decodeJob", () => {
    const job = envelope({ args: { nested: [1, "two", null, true] } });
    expect(decodeJob(encodeJob(job))).toEqual(job);
  });

  test("accepts a payload of exactly the cap and refuses one byte more with PAYLOAD_TOO_LARGE", () => {
    const base = encodeJob(envelope({ args: [""] }));
    const cap = 1_000;
    const fill = "x".repeat(cap - Buffer.byteLength(base));
    expect(Buffer.byteLength(encodeJob(envelope({ args: [fill] }), cap))).toBe(cap);
    const error = thrown(() => encodeJob(envelope({ args: [`${fill}x`] }), cap));
    expect(error.code).toBe("PAYLOAD_TOO_LARGE");
    expect(error.message).toContain("send_email");
    expect(error.message).toContain(`${cap}-byte cap`);
  });

  test("measures the cap in UTF-8 bytes, not characters", () => {
    // 400 characters of 3 bytes each: 1,200 bytes, well over a 1,000-byte cap.
    const error = thrown(() => encodeJob(envelope({ args: ["€".repeat(400)] }), 1_000));
    expect(error.code).toBe("PAYLOAD_TOO_LARGE");
  });

  test("defaults to a 512 KiB cap", () => {
    expect(DEFAULT_MAX_PAYLOAD_BYTES).toBe(512 * 1024);
    expect(() => encodeJob(envelope({ args: ["x".repeat(500 * 1024)] }))).not.toThrow();
    expect(thrown(() => encodeJob(envelope({ args: ["x".repeat(513 * 1024)] }))).code).toBe(
      "PAYLOAD_TOO_LARGE",
    );
  });

  test("refuses args that are not JSON with VALIDATION", () => {
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    expect(thrown(() => encodeJob(envelope({ args: cyclic }))).code).toBe("VALIDATION");
    expect(thrown(() => encodeJob(envelope({ args: [10n] }))).code).toBe("VALIDATION");
  });
});

describe("decodeJob", () => {
  const decodeError = (text: unknown) => {
    const error = thrown(() => decodeJob(text));
    expect(error.code).toBe("DECODE");
    expect(error.retryable).toBe(false);
    return error.message;
  };
  const withFields = (fields: Record<string, unknown>) => JSON.stringify({ ...envelope(), ...fields });
  const without = (field: string) => {
    const copy: Record<string, unknown> = { ...envelope() };
    delete copy[field];
    return JSON.stringify(copy);
  };

  test("says when the record is not a string", () => {
    expect(decodeError(null)).toContain("expected a JSON string, got null");
    expect(decodeError(42)).toContain("expected a JSON string, got number");
  });

  test("says when the record is not JSON, and shows its start", () => {
    const message = decodeError("hello {not json");
    expect(message).toContain("not valid JSON");
    expect(message).toContain("hello {not json");
  });

  test("says when the JSON is not an object", () => {
    expect(decodeError("[1,2]")).toContain("expected a JSON object, got an array");
    expect(decodeError('"text"')).toContain("expected a JSON object, got string");
    expect(decodeError("null")).toContain("expected a JSON object, got object");
  });

  test("names the schema version it cannot read", () => {
    const message = decodeError(withFields({ v: 99 }));
    expect(message).toContain("schema version 99 is not supported");
    expect(message).toContain(`reads version ${JOB_SCHEMA_VERSION}`);
    expect(decodeError(without("v"))).toContain("schema version undefined");
  });

  test("names each missing or mistyped field", () => {
    expect(decodeError(without("id"))).toContain('field "id"');
    expect(decodeError(withFields({ id: "" }))).toContain('field "id"');
    expect(decodeError(without("task"))).toContain('field "task"');
    expect(decodeError(withFields({ task: 7 }))).toContain('field "task"');
    expect(decodeError(without("args"))).toContain('field "args" is missing');
    expect(decodeError(without("createdAt"))).toContain('field "createdAt"');
    expect(decodeError(without("opts"))).toContain('field "opts"');
    expect(decodeError(withFields({ opts: { priority: "urgent", maxRetries: 3 } }))).toContain(
      '"opts.priority"',
    );
    expect(decodeError(withFields({ opts: { priority: "low", maxRetries: -1 } }))).toContain(
      '"opts.maxRetries"',
    );
    expect(decodeError(withFields({ opts: { priority: "low", maxRetries: 1.5 } }))).toContain(
      '"opts.maxRetries"',
    );
    expect(
      decodeError(withFields({ opts: { priority: "low", maxRetries: 1, backoff: { type: "fixed" } } })),
    ).toContain('"opts.backoff"');
    expect(decodeError(withFields({ opts: { priority: "low", maxRetries: 1, timeoutMs: "5s" } }))).toContain(
      '"opts.timeoutMs"',
    );
  });

  test("keeps args that are null or any other JSON value", () => {
    expect(decodeJob(withFields({ args: null })).args).toBeNull();
    expect(decodeJob(withFields({ args: "one" })).args).toBe("one");
  });

  test("refuses a record over the given cap", () => {
    const text = encodeJob(envelope());
    const error = thrown(() => decodeJob(text, 10));
    expect(error.code).toBe("DECODE");
    expect(error.message).toContain("10-byte cap");
    expect(decodeJob(text, Buffer.byteLength(text)).id).toBe("job-1");
  });
});
