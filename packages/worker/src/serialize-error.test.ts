import { describe, expect, test } from "vitest";
import { describeThrown, isUnrecoverable, serializeError, toError, truncate } from "./serialize-error.js";

function withStack(stack: unknown): Error {
  const error = new Error("boom");
  Object.defineProperty(error, "stack", { value: stack });
  return error;
}

function withMessage(message: unknown): Error {
  const error = new Error("x");
  Object.defineProperty(error, "message", { value: message });
  return error;
}

function throwingGetters(): Error {
  const error = new Error("x");
  // stack first: redefining it renders the lazy stack, which reads name and message
  for (const key of ["stack", "name", "message", "code", "retryable"]) {
    Object.defineProperty(error, key, {
      get() {
        throw new Error(`getter ${key}`);
      },
    });
  }
  return error;
}

const hostileProxy = new Proxy(
  {},
  {
    get() {
      throw new Error("get trap");
    },
    getPrototypeOf() {
      throw new Error("getPrototypeOf trap");
    },
    ownKeys() {
      throw new Error("ownKeys trap");
    },
  },
);

const circular: Record<string, unknown> = { a: 1 };
circular.self = circular;

const values: Array<[string, unknown]> = [
  ["Object.create(null)", Object.create(null)],
  ["an error whose stack is a number", withStack(42)],
  ["an error whose message is undefined", withMessage(undefined)],
  ["an error whose message is an object", withMessage({ nested: true })],
  ["an error whose getters throw", throwingGetters()],
  ["a Proxy whose traps throw", hostileProxy],
  ["a BigInt", 10n],
  ["a circular object", circular],
  ["undefined", undefined],
  ["null", null],
  ["a symbol", Symbol("s")],
  ["a function", () => 1],
];

describe("error conversion and serialisation are total", () => {
  test.each(values)("%s", (_name, value) => {
    const error = toError(value);
    expect(error).toBeInstanceOf(Error);
    const record = serializeError(value, 3);
    expect(typeof record.name).toBe("string");
    expect(typeof record.message).toBe("string");
    expect(record.attempt).toBe(3);
    if (record.stack !== undefined) expect(typeof record.stack).toBe("string");
    // what is stored must survive JSON
    expect(JSON.parse(JSON.stringify(record))).toEqual(record);
    expect(JSON.parse(JSON.stringify(serializeError(error, 1))).attempt).toBe(1);
    expect(() => isUnrecoverable(value)).not.toThrow();
    expect(typeof describeThrown(value)).toBe("string");
  });

  test("non-Errors are described", () => {
    expect(serializeError(10n, 1).message).toBe("non-Error thrown: 10");
    expect(serializeError(circular, 1).message).toBe("non-Error thrown: [object Object]");
    expect(serializeError("plain", 1).message).toBe("non-Error thrown: plain");
    expect(serializeError(withStack(42), 1)).toEqual({ name: "Error", message: "boom", attempt: 1 });
    expect(serializeError(withMessage(undefined), 1).message).toBe("");
  });
});

describe("error fields are capped", () => {
  test("name, code, message and stack are cut with a marker", () => {
    const error = new Error("m".repeat(1_000_000)) as Error & { code: string };
    error.name = "N".repeat(1_000_000);
    error.code = "C".repeat(1_000_000);
    error.stack = "S".repeat(1_000_000);
    const record = serializeError(error, 1);
    expect(record.name.length).toBeLessThan(300);
    expect(record.code?.length).toBeLessThan(200);
    expect(record.message.length).toBeLessThan(2_100);
    expect(record.stack?.length).toBeLessThan(4_100);
    for (const field of [record.name, record.code, record.message, record.stack]) {
      expect(field).toMatch(/… \[\d+ more characters\]$/);
    }
    expect(JSON.stringify(record).length).toBeLessThan(8_000);
  });

  test("short fields are kept as they are", () => {
    expect(truncate("short", 10)).toBe("short");
    const error = Object.assign(new Error("fine"), { code: "E_FINE" });
    expect(serializeError(error, 2)).toMatchObject({ name: "Error", message: "fine", code: "E_FINE" });
  });
});
