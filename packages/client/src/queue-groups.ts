import type { RedisConnection } from "@tq/connection";
import { TqError } from "@tq/job-schema";
import type { QueueKeys } from "@tq/protocol";

/** One job group of a queue, as {@link Queue.groups} lists it. */
export interface GroupInfo {
  /** The group's name, as given to `enqueue(…, { group })`. */
  name: string;
  /** Its jobs waiting to run. */
  pending: number;
  /** Its jobs running now (claimed and not yet acknowledged, or a lease not yet reclaimed). */
  active: number;
}

/** Options for {@link Queue.groups}. */
export interface GroupsOptions {
  /** Where to go on: the `cursor` of the previous page; omit it for the first page. */
  cursor?: string;
  /** About how many groups one page holds (a hint to HSCAN: a small queue's groups come in one page). @defaultValue 100 */
  limit?: number;
}

/** One page of {@link Queue.groups}. */
export interface GroupsPage {
  groups: GroupInfo[];
  /** The cursor of the next page; null when this was the last one. */
  cursor: string | null;
}

/** The largest `limit` of one page. */
const MAX_PAGE = 1000;

/**
 * One page of a queue's groups that have pending or active jobs, read with HSCAN of the group active counts and one
 * ZCARD per group, pipelined: bounded work per page however many groups the queue has. A group seen on one page is
 * not repeated on a later one unless Redis resized the hash between the calls (HSCAN's guarantee).
 */
export async function readGroups(
  c: RedisConnection,
  k: QueueKeys,
  options: GroupsOptions = {},
): Promise<GroupsPage> {
  const limit = options.limit ?? 100;
  const cursor = options.cursor ?? "0";
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_PAGE) {
    throw new TqError(
      "VALIDATION",
      `groups: limit must be an integer from 1 to ${MAX_PAGE}, got ${String(limit)}`,
    );
  }
  if (!/^\d+$/.test(cursor)) {
    throw new TqError("VALIDATION", "groups: cursor must be the cursor of a previous page (digits)");
  }
  const [next, flat] = await c.send<[string, string[]]>(
    ["HSCAN", k.groupActive, cursor, "COUNT", String(limit)],
    k.base,
  );
  const names: string[] = [];
  const active: number[] = [];
  for (let i = 0; i + 1 < flat.length; i += 2) {
    names.push(String(flat[i]));
    active.push(Math.max(0, Number(flat[i + 1]) || 0));
  }
  const pending = await Promise.all(names.map((name) => c.send<number>(["ZCARD", k.group(name)], k.base)));
  return {
    groups: names.map((name, i) => ({ name, pending: Number(pending[i]), active: active[i] as number })),
    cursor: String(next) === "0" ? null : String(next),
  };
}
