import { describe, expect, expectTypeOf, test } from "vitest";
import { z } from "zod";
import { isTqError, type TqError } from "./errors.js";
import type { StandardSchemaV1 } from "./standard-schema.js";
import { defineTask, isTask, type Task, type TaskArgs, type TaskArgsInput, type TaskResult } from "./task.js";
import { formatIssues, validateWithSchema } from "./validate.js";

const sendEmail = defineTask({
  name: "send_email",
  args: z.tuple([z.string().email(), z.string()]),
  result: z.object({ delivered: z.boolean() }),
  defaults: { maxRetries: 5, priority: "high" },
});

async function rejection(promise: Promise<unknown>): Promise<TqError> {
  try {
    await promise;
  } catch (error) {
    if (isTqError(error)) return error;
    throw error;
  }
  throw new Error("expected a TqError, the promise resolved");
}

describe("defineTask", () => {
  test("keeps the name, schemas and defaults, frozen", () => {
    expect(sendEmail.name).toBe("send_email");
    expect(sendEmail.defaults).toEqual({ maxRetries: 5, priority: "high" });
    expect(Object.isFrozen(sendEmail)).toBe(true);
    expect(Object.isFrozen(sendEmail.defaults)).toBe(true);
    expect(isTask(sendEmail)).toBe(true);
    expect(isTask({ name: "x" })).toBe(false);
    expect(isTask("send_email")).toBe(false);
    expect(isTask(null)).toBe(false);
  });

  test("infers args and result types from the schemas", () => {
    expectTypeOf(sendEmail.name).toEqualTypeOf<"send_email">();
    expectTypeOf<TaskArgsInput<typeof sendEmail>>().toEqualTypeOf<[string, string]>();
    expectTypeOf<TaskArgs<typeof sendEmail>>().toEqualTypeOf<[string, string]>();
    expectTypeOf<TaskResult<typeof sendEmail>>().toEqualTypeOf<{ delivered: boolean }>();

    const coerce = defineTask({ name: "resize_image", args: z.tuple([z.string(), z.coerce.number()]) });
    expectTypeOf<TaskArgs<typeof coerce>>().toEqualTypeOf<[string, number]>();
    expectTypeOf<TaskResult<typeof coerce>>().toEqualTypeOf<unknown>();

    const untyped = defineTask({ name: "anything" });
    expectTypeOf<TaskArgsInput<typeof untyped>>().toEqualTypeOf<unknown>();
    expectTypeOf(untyped).toMatchTypeOf<Task<"anything">>();
  });

  test("refuses an empty name", () => {
    expect(() => defineTask({ name: "" })).toThrow(expect.objectContaining({ code: "VALIDATION" }));
    // @ts-expect-error name is required
    expect(() => defineTask({})).toThrow(expect.objectContaining({ code: "VALIDATION" }));
  });

  test("refuses a schema that is not Standard Schema v1", () => {
    const bad = { parse: (v: unknown) => v } as unknown as StandardSchemaV1;
    expect(() => defineTask({ name: "t", args: bad })).toThrow(
      expect.objectContaining({
        code: "VALIDATION",
        message: expect.stringContaining("args must be a Standard Schema"),
      }),
    );
    expect(() => defineTask({ name: "t", result: bad })).toThrow(
      expect.objectContaining({
        code: "VALIDATION",
        message: expect.stringContaining("result must be a Standard Schema"),
      }),
    );
  });
});

describe("validateWithSchema", () => {
  test("returns the schema's output", async () => {
    const schema = z.tuple([z.string(), z.coerce.number()]);
    expect(await validateWithSchema(schema, ["a", "800"], "args", "task t")).toEqual(["a", 800]);
  });

  test("throws VALIDATION listing every issue with its path, not retryable", async () => {
    const error = await rejection(
      validateWithSchema(sendEmail.args!, ["not-an-email", 5], "args", 'task "send_email"'),
    );
    expect(error.code).toBe("VALIDATION");
    expect(error.retryable).toBe(false);
    expect(error.message).toContain('Invalid args for task "send_email"');
    expect(error.message).toContain("args[0]:");
    expect(error.message).toContain("args[1]:");
    expect(Array.isArray(error.cause)).toBe(true);
  });

  test("awaits an async schema", async () => {
    const schema = z.string().refine(async (s) => s.startsWith("ok"), "must start with ok");
    expect(await validateWithSchema(schema, "ok!", "args", "t")).toBe("ok!");
    const error = await rejection(validateWithSchema(schema, "no", "args", "t"));
    expect(error.message).toContain("must start with ok");
  });
});

describe("formatIssues", () => {
  test("formats paths of keys and path segments", () => {
    expect(
      formatIssues("args", [
        { message: "Required", path: [0] },
        { message: "Invalid email", path: [{ key: "user" }, "email"] },
        { message: "Bad" },
      ]),
    ).toBe("args[0]: Required; args.user.email: Invalid email; args: Bad");
  });
});
