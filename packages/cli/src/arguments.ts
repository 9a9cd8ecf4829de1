import {
  isValidJobId,
  isValidTaskName,
  MAX_TIMER_MS,
  PRIORITIES,
  type Priority,
  quote,
} from "@tq/job-schema";
import { isValidQueueName, JOB_STATES, type JobStatus } from "@tq/protocol";
import { InvalidArgumentError } from "commander";
import { usageError } from "./cli-error.js";

// Checks of what the command line gives, made before anything is sent to Redis. Option parsers throw commander's
// InvalidArgumentError (commander prefixes the option's name); positional checks throw a usage CliError.

/** An option parser for a whole number from `min` to `max`. */
export function integerOption(min: number, max: number = Number.MAX_SAFE_INTEGER) {
  return (value: string): number => {
    const n = Number(value);
    if (value.trim() === "" || !Number.isInteger(n) || n < min || n > max) {
      throw new InvalidArgumentError(`it must be a whole number from ${min} to ${max}.`);
    }
    return n;
  };
}

/** An option parser for a duration in milliseconds (a whole number, at most what a Node timer can wait). */
export const millisecondsOption = integerOption(0, MAX_TIMER_MS);

/** An option parser for one of `choices`. */
export function choiceOption<T extends string>(choices: readonly T[]) {
  return (value: string): T => {
    if (!(choices as readonly string[]).includes(value)) {
      throw new InvalidArgumentError(`it must be one of ${choices.join(", ")}.`);
    }
    return value as T;
  };
}

export const priorityOption = choiceOption<Priority>(PRIORITIES);
export const statusOption = choiceOption<JobStatus>(JOB_STATES);

/** An option parser for a job id (1-200 characters, no whitespace or control characters). */
export function jobIdOption(value: string): string {
  if (!isValidJobId(value))
    throw new InvalidArgumentError(
      "malformed job id: 1-200 characters without whitespace, braces or control characters.",
    );
  return value;
}

/** The `<queue>` argument, checked. */
export function queueArgument(value: string): string {
  if (!isValidQueueName(value)) {
    throw usageError(`malformed queue name ${quote(value)}: 1-200 characters of letters, digits and _ . : -`);
  }
  return value;
}

/** The `<id>` argument, checked. */
export function jobIdArgument(value: string): string {
  if (!isValidJobId(value)) {
    throw usageError(
      `malformed job id ${quote(value)}: 1-200 characters without whitespace, braces or control characters`,
    );
  }
  return value;
}

/** The `<task>` argument, checked. */
export function taskArgument(value: string): string {
  if (!isValidTaskName(value)) throw usageError(`malformed task name ${quote(value)}`);
  return value;
}

/** The `[args-json]` argument: any JSON value; none means no args. */
export function jsonArgument(value: string | undefined): unknown {
  if (value === undefined) return undefined;
  try {
    return JSON.parse(value);
  } catch (error) {
    throw usageError(`args-json is not valid JSON (${(error as Error).message}); e.g. '["a@b.c", 2]'`);
  }
}
