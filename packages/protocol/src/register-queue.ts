import { quote, type TqError } from "@tq/job-schema";
import { queuesKey } from "./keys.js";
import type { ScriptSender } from "./script.js";

/** Turns a driver error into a {@link TqError} (`@tq/connection`'s `toTqError`). */
export type ToTqError = (error: unknown, context: string) => TqError;

/**
 * Adds `queue` to `<prefix>:queues`, the set of known queue names the scheduler, the CLI and the dashboard read.
 * Best effort: the set is shared by every queue of the prefix, and a user restricted to one queue's keys (an ACL
 * with `~<prefix>:{emails}:*`) may not write it. Such a refusal (any error `toTqError` does not call `CONNECTION`)
 * is handed to `report` and the caller goes on; a connection error is thrown, since nothing else will work either.
 */
export async function registerQueue(
  sender: ScriptSender,
  prefix: string,
  queue: string,
  report: (error: TqError) => void,
  toTqError: ToTqError,
): Promise<void> {
  const key = queuesKey(prefix);
  try {
    await sender.send(["SADD", key, queue], key);
  } catch (error) {
    const refusal = toTqError(
      error,
      `queue ${quote(queue)}: cannot add it to ${quote(key)} (the list of known queues); it works, but a scheduler ` +
        "without a `queues` option, the CLI and the dashboard do not see it until it is added (SADD) by a user allowed to",
    );
    if (refusal.code === "CONNECTION") throw refusal;
    report(refusal);
  }
}
