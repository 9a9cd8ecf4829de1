import type { RedisConnection } from "@tq/connection";
import { listWorkers, parseWorkerInfo, type QueueKeys, type WorkerInfo } from "@tq/protocol";

/** Registry ids read per `listWorkers` call (each page's hashes are read in one pipelined batch). */
const PAGE = 500;

/**
 * The workers of a queue, from its registry: the live ids by score, a page at a time (expired entries pruned on
 * the way), then their hashes in one pipelined batch per page, along with the pending counts the stale rule needs.
 * Bounded reads only: no KEYS, no SCAN.
 */
export async function readWorkers(
  connection: RedisConnection,
  queue: string,
  keys: QueueKeys,
): Promise<WorkerInfo[]> {
  const out: WorkerInfo[] = [];
  for (let offset = 0; ; offset += PAGE) {
    const [page, high, normal, low, groups] = await Promise.all([
      listWorkers(connection, keys, { offset, limit: PAGE }),
      connection.send<number>(["LLEN", keys.pending.high], keys.base),
      connection.send<number>(["LLEN", keys.pending.normal], keys.base),
      connection.send<number>(["LLEN", keys.pending.low], keys.base),
      // groups that can run a job now (a full group's jobs do not make an idle worker stale)
      connection.send<number>(["EXISTS", keys.groups], keys.base),
    ]);
    const pending = Number(high) + Number(normal) + Number(low) + Number(groups) > 0;
    // node-redis sends the commands of one tick together: one pipelined batch per page
    const hashes = await Promise.all(
      page.ids.map((id) => connection.send<unknown>(["HGETALL", keys.worker(id)], keys.base)),
    );
    page.ids.forEach((id, i) => {
      const info = parseWorkerInfo(id, hashes[i], { queue, nowMs: page.nowMs, pending });
      if (info) out.push(info);
    });
    if (page.ids.length < PAGE) return out;
  }
}
