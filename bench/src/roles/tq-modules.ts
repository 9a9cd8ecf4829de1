import type * as TqClient from "@tq/client";
import type * as TqWorker from "@tq/worker";
import { tqEntry } from "../tq-snapshot.js";

/**
 * tq's packages as this benchmark run froze them (TQ_BENCH_TQ_ROOT, set by the runner), or as installed when run
 * on its own.
 */
export async function loadTq(): Promise<{ client: typeof TqClient; worker: typeof TqWorker }> {
  const root = process.env.TQ_BENCH_TQ_ROOT;
  const [client, worker] = await Promise.all([
    import(root ? tqEntry(root, "client") : "@tq/client") as Promise<typeof TqClient>,
    import(root ? tqEntry(root, "worker") : "@tq/worker") as Promise<typeof TqWorker>,
  ]);
  return { client, worker };
}
