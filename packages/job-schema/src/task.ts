import { TqError } from "./errors.js";
import { isValidTaskName, type JobOptions } from "./options.js";
import { quote } from "./quote.js";
import type { StandardSchemaV1 } from "./standard-schema.js";

/** Options a task applies to every job of its kind unless the enqueue call overrides them. */
export type TaskDefaults = Pick<JobOptions, "priority" | "maxRetries" | "backoff" | "timeoutMs">;

/** What {@link defineTask} takes. */
export interface TaskDefinition<
  Name extends string,
  ArgsSchema extends StandardSchemaV1 | undefined,
  ResultSchema extends StandardSchemaV1 | undefined,
> {
  /** The task name workers dispatch on. */
  name: Name;
  /** Validates args at the producer (before anything reaches Redis) and again in the worker. Any Standard Schema v1. */
  args?: ArgsSchema;
  /** Validates the handler's return value in the worker. */
  result?: ResultSchema;
  /** Job options applied to every job of this task. */
  defaults?: TaskDefaults;
}

/** The input type of a Standard Schema `S` (what a caller passes), or `Fallback` when `S` is not a schema. */
export type InputOf<S, Fallback> = S extends StandardSchemaV1 ? StandardSchemaV1.InferInput<S> : Fallback;
/** The output type of a Standard Schema `S` (what it parses to), or `Fallback` when `S` is not a schema. */
export type OutputOf<S, Fallback> = S extends StandardSchemaV1 ? StandardSchemaV1.InferOutput<S> : Fallback;

/**
 * A task contract shared by producers and workers: its name, the schema of its args and result, and defaults.
 * Created by {@link defineTask}.
 */
export interface Task<Name extends string = string, ArgsIn = unknown, ArgsOut = ArgsIn, Result = unknown> {
  readonly name: Name;
  readonly args: StandardSchemaV1<ArgsIn, ArgsOut> | undefined;
  readonly result: StandardSchemaV1<unknown, Result> | undefined;
  readonly defaults: TaskDefaults;
  /** Type carrier only; never set at run time. */
  readonly "~types"?: { argsIn: ArgsIn; argsOut: ArgsOut; result: Result };
}

/** The args a producer passes for task `T`. */
export type TaskArgsInput<T extends Task> = NonNullable<T["~types"]>["argsIn"];
/** The args a handler of task `T` receives (after validation). */
export type TaskArgs<T extends Task> = NonNullable<T["~types"]>["argsOut"];
/** What a handler of task `T` returns. */
export type TaskResult<T extends Task> = NonNullable<T["~types"]>["result"];

/**
 * Defines a task contract. Producers enqueue it with typed, validated args; workers handle it with typed args and
 * result.
 *
 * @example
 * ```ts
 * export const sendEmail = defineTask({
 *   name: "send_email",
 *   args: z.tuple([z.string().email(), z.string()]),
 *   result: z.object({ delivered: z.boolean() }),
 *   defaults: { maxRetries: 5, priority: "high" },
 * });
 * ```
 */
export function defineTask<
  const Name extends string,
  ArgsSchema extends StandardSchemaV1 | undefined = undefined,
  ResultSchema extends StandardSchemaV1 | undefined = undefined,
>(
  definition: TaskDefinition<Name, ArgsSchema, ResultSchema>,
): Task<Name, InputOf<ArgsSchema, unknown>, OutputOf<ArgsSchema, unknown>, OutputOf<ResultSchema, unknown>> {
  if (!isValidTaskName(definition?.name)) {
    throw new TqError(
      "VALIDATION",
      `defineTask needs a name of 1-200 characters without control characters, got ${quote(definition?.name)}`,
    );
  }
  for (const key of ["args", "result"] as const) {
    const schema = definition[key];
    if (schema !== undefined && typeof (schema as StandardSchemaV1)["~standard"]?.validate !== "function") {
      throw new TqError(
        "VALIDATION",
        `defineTask("${definition.name}"): ${key} must be a Standard Schema v1 validator (zod, valibot, arktype, ...)`,
      );
    }
  }
  return Object.freeze({
    name: definition.name,
    args: definition.args as
      | StandardSchemaV1<InputOf<ArgsSchema, unknown>, OutputOf<ArgsSchema, unknown>>
      | undefined,
    result: definition.result as StandardSchemaV1<unknown, OutputOf<ResultSchema, unknown>> | undefined,
    defaults: Object.freeze({ ...definition.defaults }),
  });
}

/** Whether `value` is a task contract made by {@link defineTask}. */
export function isTask(value: unknown): value is Task {
  return (
    typeof value === "object" &&
    value !== null &&
    typeof (value as Task).name === "string" &&
    "defaults" in value &&
    "args" in value
  );
}
