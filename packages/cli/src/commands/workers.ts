import type { WorkerInfo } from "@tq/client";
import { type CommonFlags, print, withSession } from "../command-kit.js";
import { duration, table } from "../format.js";
import type { CliIo } from "../io.js";

/**
 * `tq workers [<queue>]`: the workers of every known queue (or of one) from their registries, via
 * `queue.workers()`. Ages are on the Redis clock. `--json` prints the `WorkerInfo` array.
 */
export async function workersCommand(
  queueName: string | undefined,
  flags: CommonFlags,
  io: CliIo,
): Promise<void> {
  const { workers, now } = await withSession(flags, io, async (session) => {
    const names = queueName === undefined ? await session.queueNames() : [queueName];
    if (queueName !== undefined) await session.existingQueue(queueName);
    const [lists, now] = await Promise.all([
      Promise.all(names.map((name) => session.queue(name).workers())),
      session.now(),
    ]);
    return { workers: lists.flat(), now };
  });
  print(io, flags, workers, () => human(workers, now));
}

function human(workers: readonly WorkerInfo[], now: number): string {
  if (workers.length === 0) return "no live workers\n";
  const age = (at: number) => duration(Math.max(0, now - at));
  return table(
    [
      "ID",
      "QUEUE",
      "HOST",
      "PID",
      "CONC",
      "ACTIVE",
      "PROCESSED",
      "FAILED",
      "STATE",
      "HEARTBEAT",
      "LOOP",
      "VERSION",
      "UPTIME",
    ],
    workers.map((w) => [
      w.id,
      w.queue,
      w.host,
      String(w.pid),
      String(w.concurrency),
      String(w.active),
      String(w.processed),
      String(w.failed),
      w.state === "stale" ? "STALE" : w.state,
      age(w.heartbeatAt),
      age(w.loopAt),
      w.version,
      age(w.startedAt),
    ]),
  );
}
