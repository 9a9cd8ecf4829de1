import { purge, queueKeys } from "@tq/protocol";
import { type CommonFlags, print, withSession } from "../command-kit.js";
import type { CliIo } from "../io.js";

/**
 * `tq purge <queue> --status completed|failed`: removes every job of that finished state with its record, in calls
 * of at most 1,000 jobs (the protocol's `purge`), so Redis is never blocked for long, however large the set.
 */
export async function purgeCommand(
  queueName: string,
  flags: CommonFlags & { status: "completed" | "failed" },
  io: CliIo,
): Promise<void> {
  const removed = await withSession(flags, io, async (session) => {
    await session.existingQueue(queueName);
    const keys = queueKeys(queueName, session.prefix);
    let total = 0;
    for (;;) {
      const step = await purge(session.connection, keys, { status: flags.status });
      total += step.removed;
      if (step.remaining === 0 || step.removed === 0) return total;
    }
  });
  print(
    io,
    flags,
    { queue: queueName, status: flags.status, removed },
    () => `removed ${removed} ${flags.status} job(s) from queue ${queueName}\n`,
  );
}
