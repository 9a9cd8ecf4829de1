import { onCluster, startRedis, uniqueQueue, waitFor } from "@tq/testing";
import { expect, test } from "vitest";
import { type FiredEvent, Scheduler } from "../src/index.js";
import { defer } from "./support.js";

// a standalone server of its own, killed and restarted: nothing of it depends on the project's topology
test.skipIf(onCluster())("the scheduler keeps firing after Redis is killed and restarted", async () => {
  const server = await startRedis({ appendonly: true, appendfsync: "always" });
  defer(() => server.stop());
  const s = new Scheduler({ connection: server.url });
  defer(() => s.close());
  const fired: FiredEvent[] = [];
  const errors: Error[] = [];
  s.on("fired", (e) => fired.push(e));
  s.on("error", (e) => errors.push(e));
  await s.upsertSchedule("every-100", { everyMs: 100 }, { queue: uniqueQueue(), task: "ping" });
  await s.start();
  await waitFor(() => fired.length >= 2, { what: "ticks before the crash" });

  server.kill("SIGKILL");
  await server.exited();
  await waitFor(() => errors.length > 0, { what: "the scheduler to notice" });
  const before = fired.length;
  await server.restart();
  await waitFor(() => fired.length >= before + 2, { what: "ticks after the restart" });
  const ids = fired.map((e) => e.jobId);
  expect(new Set(ids).size).toBe(ids.length);
});
