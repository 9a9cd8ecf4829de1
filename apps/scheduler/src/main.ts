// The tutorial's scheduler process: schedules the delayed welcome email, keeps an interval schedule, and runs
// the scheduler loop until SIGTERM/SIGINT. REDIS_URL, TQ_PREFIX, TQ_QUEUE, TQ_DELAY_MS and TQ_EVERY_MS configure it.
import { DEMO_QUEUE } from "@tq/example-contracts";
import { Scheduler } from "@tq/scheduler";

const queue = process.env.TQ_QUEUE || DEMO_QUEUE;
const scheduler = new Scheduler({
  connection: process.env.REDIS_URL || undefined,
  prefix: process.env.TQ_PREFIX || undefined,
});

let stopping = false;
async function stop(signal: string) {
  if (stopping) return;
  stopping = true;
  console.log(`Scheduler got ${signal}: stopping.`);
  await scheduler.close();
  process.exit(0);
}
process.on("SIGTERM", () => void stop("SIGTERM"));
process.on("SIGINT", () => void stop("SIGINT"));

await scheduler.start();
const delayMs = Number(process.env.TQ_DELAY_MS ?? 60_000);
const delayed = await scheduler.schedule(queue, "send_email", delayMs, [
  "user@example.com",
  "Delayed welcome",
]);
console.log(`Scheduled job ${delayed.id} in ${delayMs / 1000}s`);
const everyMs = Number(process.env.TQ_EVERY_MS ?? 60_000);
await scheduler.upsertSchedule(
  "status-report",
  { everyMs },
  { queue, task: "generate_report", args: ["status", "live"] },
);
console.log(`Schedule "status-report" runs generate_report every ${everyMs / 1000}s`);
