// The tutorial's producer: enqueues the three original jobs and prints their ids.
// REDIS_URL, TQ_PREFIX and TQ_QUEUE choose where; `--extra` also enqueues the demo's retry and failure cases.
import { Queue } from "@tq/client";
import { DEMO_QUEUE, generateReport, resizeImage, sendEmail } from "@tq/example-contracts";

const queue = new Queue(process.env.TQ_QUEUE ?? DEMO_QUEUE, {
  connection: process.env.REDIS_URL,
  prefix: process.env.TQ_PREFIX,
});

try {
  const jobs = [
    await queue.enqueue(sendEmail, ["user@example.com", "Welcome!"]),
    await queue.enqueue(resizeImage, ["/uploads/photo.jpg", 800, 600]),
    await queue.enqueue(generateReport, ["monthly", "2026-06"]),
  ];
  if (process.argv.includes("--extra")) {
    // A mail server that times out once: the first run fails and is retried with backoff.
    jobs.push(await queue.enqueue(sendEmail, ["flaky@example.com", "Second try"]));
    // A file that does not exist: fails for good at once (no point retrying).
    jobs.push(await queue.enqueue(resizeImage, ["/uploads/missing.jpg", 800, 600]));
  }
  for (const job of jobs) console.log(`Enqueued job: ${job.id} (${job.task})`);
} finally {
  await queue.close();
}
