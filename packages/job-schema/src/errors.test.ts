import { describe, expect, test } from "vitest";
import { isTqError, TqError, UnrecoverableError } from "./errors.js";

describe("TqError", () => {
  test("carries a code, a literal name, a cause and retryable", () => {
    const cause = new Error("socket closed");
    const error = new TqError("CONNECTION", "cannot reach Redis", { cause, retryable: true });
    expect(error).toBeInstanceOf(Error);
    expect(error.name).toBe("TqError");
    expect(error.code).toBe("CONNECTION");
    expect(error.cause).toBe(cause);
    expect(error.retryable).toBe(true);
    expect(new TqError("TIMEOUT", "late").retryable).toBeUndefined();
    expect("cause" in new TqError("TIMEOUT", "late")).toBe(false);
  });

  test("UnrecoverableError is a non-retryable TqError", () => {
    const error = new UnrecoverableError("card declined");
    expect(error).toBeInstanceOf(TqError);
    expect(error.name).toBe("UnrecoverableError");
    expect(error.code).toBe("HANDLER");
    expect(error.retryable).toBe(false);
  });
});

describe("isTqError", () => {
  test("recognises tq errors", () => {
    expect(isTqError(new TqError("VALIDATION", "bad"))).toBe(true);
    expect(isTqError(new UnrecoverableError("stop"))).toBe(true);
  });

  test("recognises a copy made by another copy of the package (a plain object with name and code)", () => {
    const original = new TqError("JOB_FAILED", "job failed");
    const spread = { ...original };
    expect(spread).not.toBeInstanceOf(TqError);
    expect(isTqError(spread)).toBe(true);
    expect(isTqError(JSON.parse(JSON.stringify(original)))).toBe(true);
    expect(isTqError(JSON.parse(JSON.stringify(new UnrecoverableError("x"))))).toBe(true);
    class ForeignTqError extends Error {
      override name = "TqError";
      code = "TIMEOUT";
    }
    expect(isTqError(new ForeignTqError("late"))).toBe(true);
  });

  test("rejects everything else", () => {
    expect(isTqError(new Error("plain"))).toBe(false);
    expect(isTqError({ name: "TqError" })).toBe(false);
    expect(isTqError({ name: "TypeError", code: "VALIDATION" })).toBe(false);
    expect(isTqError({ name: "TqError", code: 5 })).toBe(false);
    expect(isTqError(null)).toBe(false);
    expect(isTqError(undefined)).toBe(false);
    expect(isTqError("TqError")).toBe(false);
  });
});
