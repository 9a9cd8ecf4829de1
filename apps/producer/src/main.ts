// The tutorial's producer: enqueues the three original jobs and prints their ids.
// REDIS_URL, TQ_PREFIX and TQ_QUEUE choose where; TQ_ROUNDS enqueues the three jobs that many times (default 1);
// `--extra` also enqueues the demo's retry and failure cases.
import { Queue } from "@tq/client";
import { DEMO_QUEUE, generateReport, resizeImage, sendEmail } from "@tq/example-contracts";

const rounds = Number(process.env.TQ_ROUNDS || 1);
if (!Number.isInteger(rounds) || rounds < 1) {
  console.error(
    `TQ_ROUNDS must be a whole number of at least 1, got ${JSON.stringify(process.env.TQ_ROUNDS)}`,
  );
  process.exit(2);
}

const queue = new Queue(process.env.TQ_QUEUE || DEMO_QUEUE, {
  connection: process.env.REDIS_URL || undefined,
  prefix: process.env.TQ_PREFIX || undefined,
});

try {
  const jobs = [];
  for (let round = 0; round < rounds; round++) {
    jobs.push(
      await queue.enqueue(sendEmail, ["user@example.com", "Welcome!"]),
      await queue.enqueue(resizeImage, ["/uploads/photo.jpg", 800, 600]),
      await queue.enqueue(generateReport, ["monthly", "2026-06"]),
    );
  }
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
