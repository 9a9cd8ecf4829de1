import { queueKeys, queuesKey } from "./keys.js";
import type { ScriptSender } from "./script.js";

/** The known queue names (`<prefix>:queues`), sorted, read with SSCAN in pages (never `KEYS`). */
export async function listQueueNames(sender: ScriptSender, prefix: string): Promise<string[]> {
  const key = queuesKey(prefix);
  const names = new Set<string>();
  let cursor = "0";
  do {
    const [next, page] = await sender.send<[string, string[]]>(["SSCAN", key, cursor, "COUNT", "500"], key);
    cursor = String(next);
    for (const name of page) names.add(String(name));
  } while (cursor !== "0");
  return [...names].sort();
}

/**
 * Whether a queue named `name` exists under `prefix`: a member of `<prefix>:queues` or with keys of its own.
 * Tools check this before they open a `Queue` on a name they were given, so a mistyped name is not taken for an
 * empty queue and nothing is written under it.
 */
export async function queueExists(sender: ScriptSender, prefix: string, name: string): Promise<boolean> {
  const k = queueKeys(name, prefix);
  const [member, keys] = await Promise.all([
    sender.send<number>(["SISMEMBER", queuesKey(prefix), name], queuesKey(prefix)),
    sender.send<number>(
      [
        "EXISTS",
        k.meta,
        k.pending.high,
        k.pending.normal,
        k.pending.low,
        k.scheduled,
        k.active,
        k.completed,
        k.failed,
      ],
      k.base,
    ),
  ]);
  return Number(member) > 0 || Number(keys) > 0;
}
