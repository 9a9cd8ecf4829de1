import type { JobCounts } from "@tq/client";
import { type CommonFlags, print, withSession } from "../command-kit.js";
import { table } from "../format.js";
import type { CliIo } from "../io.js";

/** One row of `tq queues`. */
export interface QueueRow extends JobCounts {
  queue: string;
  paused: boolean;
}

/** `tq queues`: the known queues (`<prefix>:queues`) with their counts (LLEN/ZCARD each, never a scan of jobs). */
export async function queuesCommand(flags: CommonFlags, io: CliIo): Promise<void> {
  const rows = await withSession(flags, io, async (session) => {
    const names = await session.queueNames();
    return Promise.all(
      names.map(async (name): Promise<QueueRow> => {
        const queue = session.queue(name);
        const [counts, paused] = await Promise.all([queue.counts(), queue.isPaused()]);
        return { queue: name, ...counts, paused };
      }),
    );
  });
  print(io, flags, { queues: rows }, () =>
    rows.length === 0
      ? "no known queues under this prefix\n"
      : table(
          ["QUEUE", "PENDING", "SCHEDULED", "ACTIVE", "COMPLETED", "FAILED", "PAUSED"],
          rows.map((r) => [
            r.queue,
            String(r.pending),
            String(r.scheduled),
            String(r.active),
            String(r.completed),
            String(r.failed),
            r.paused ? "yes" : "no",
          ]),
        ),
  );
}
