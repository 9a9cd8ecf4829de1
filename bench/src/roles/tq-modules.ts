import type * as TqClient from "@tq/client";
import type * as TqWorker from "@tq/worker";
import { tqEntry } from "../tq-snapshot.js";

/**
 * tq's packages from the snapshot at `root` (by default TQ_BENCH_TQ_ROOT, which the runner sets for each role
 * process: the build under test or the baseline's), or as installed when run on its own.
 */
export async function loadTq(
  root: string | undefined = process.env.TQ_BENCH_TQ_ROOT,
): Promise<{ client: typeof TqClient; worker: typeof TqWorker }> {
  const [client, worker] = await Promise.all([
    import(root ? tqEntry(root, "client") : "@tq/client") as Promise<typeof TqClient>,
    import(root ? tqEntry(root, "worker") : "@tq/worker") as Promise<typeof TqWorker>,
  ]);
  return { client, worker };
}
