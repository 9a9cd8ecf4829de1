// Screenshots of the dashboard for the docs: a private redis-server, a few queues with realistic jobs, a worker
// running them, and headless chromium writing PNGs of each page to docs/screenshots/.
import { mkdirSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { fileURLToPath } from "node:url";
import { Queue } from "@tq/client";
import { Scheduler } from "@tq/scheduler";
import { startRedis, waitFor } from "@tq/testing";
import { Worker } from "@tq/worker";
import { chromium } from "playwright-core";
import { createDashboard } from "../src/index.js";

const out = fileURLToPath(new URL("../../../docs/screenshots/", import.meta.url));
const quiet = { debug() {}, info() {}, warn() {}, error() {} };
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const redis = await startRedis();
const connection = redis.url;
const emails = new Queue("emails", { connection, logger: quiet });
const reports = new Queue("reports", { connection, logger: quiet });
const images = new Queue("images", { connection, logger: quiet });
const workers: Worker[] = [];
const scheduler = new Scheduler({ connection, logger: quiet });
scheduler.on("error", () => {});
try {
  await scheduler.upsertSchedule(
    "nightly-report",
    { cron: "0 3 * * *", timezone: "UTC" },
    { queue: "reports", task: "generate_report", args: ["daily"] },
  );
  await scheduler.upsertSchedule(
    "digest",
    { everyMs: 15 * 60_000 },
    { queue: "emails", task: "send_digest", args: [{ audience: "weekly" }] },
  );

  const emailWorker = new Worker(
    "emails",
    {
      send_email: async ([to]: [string, string], ctx) => {
        await sleep(20 + Math.random() * 60);
        if (to.startsWith("bounce")) throw new Error(`SMTP 550: mailbox ${to} unavailable`);
        ctx.progress(100);
        return { delivered: true, messageId: `<${ctx.jobId.slice(0, 8)}@mail.example>` };
      },
    },
    { connection, concurrency: 4, logger: quiet, workerId: "mail-1" },
  );
  const imageWorker = new Worker(
    "images",
    {
      resize_image: async ([path, width]: [string, number]) => {
        await sleep(40 + Math.random() * 80);
        if (path.includes("missing")) throw new Error(`ENOENT: no such file ${path}`);
        return { path: path.replace(".jpg", `-${width}.jpg`) };
      },
    },
    { connection, concurrency: 2, logger: quiet, workerId: "img-1" },
  );
  for (const w of [emailWorker, imageWorker]) {
    w.on("error", () => {});
    await w.start();
    workers.push(w);
  }

  const users = ["ada", "grace", "linus", "margaret", "ken", "barbara", "dennis", "frances"];
  await emails.enqueueMany(
    Array.from({ length: 120 }, (_, i) => ({
      task: "send_email",
      args: [
        i % 17 === 0 ? `bounce-${i}@example.com` : `${users[i % users.length]}${i}@example.com`,
        "Welcome!",
      ],
      opts: { maxRetries: 1, backoff: { type: "fixed" as const, delayMs: 50 } },
    })),
  );
  await images.enqueueMany(
    Array.from({ length: 40 }, (_, i) => ({
      task: "resize_image",
      args: [i % 13 === 0 ? `/uploads/missing-${i}.jpg` : `/uploads/photo-${i}.jpg`, 800, 600],
      opts: { maxRetries: 0 },
    })),
  );
  await reports.enqueue("generate_report", ["monthly", "2026-11"], {
    delayMs: 3_600_000,
    jobId: "report-2026-11",
  });
  await reports.enqueue("generate_report", ["weekly", "2026-W48"], { jobId: "report-2026-W48" });
  await reports.pause();
  await waitFor(async () => (await emails.counts()).completed + (await emails.counts()).failed >= 120, {
    timeoutMs: 60_000,
    what: "emails done",
  });
  // a second wave keeps some jobs pending and active while the pictures are taken
  await emails.enqueueMany(
    Array.from({ length: 400 }, (_, i) => ({
      task: "send_email",
      args: [`${users[i % users.length]}+n${i}@example.com`, "News"],
    })),
  );
  const failed = await emails.list("failed", { limit: 1 });

  const dashboard = createDashboard({ connection, auth: "none" });
  const server = createServer(dashboard);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()));
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const browser = await chromium.launch({ executablePath: "/usr/bin/chromium", args: ["--no-sandbox"] });
  mkdirSync(out, { recursive: true });
  const shots: Array<[string, string]> = [
    ["overview", "/"],
    ["queue", "/queues/emails?state=completed"],
    ["job", `/queues/emails/job?id=${encodeURIComponent(failed[0]?.id ?? "")}`],
    ["workers", "/workers"],
    ["schedules", "/schedules"],
  ];
  for (const [name, path] of shots) {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    await page.goto(`${origin}${path}`);
    await page.waitForLoadState("networkidle").catch(() => {});
    await sleep(500);
    await page.screenshot({ path: `${out}${name}.png`, fullPage: name !== "overview" && name !== "queue" });
    await page.close();
    console.log(`wrote docs/screenshots/${name}.png`);
  }
  await browser.close();
  await dashboard.close();
  server.closeAllConnections();
  server.close();
} finally {
  for (const w of workers) await w.close({ timeoutMs: 0 });
  await scheduler.close();
  for (const q of [emails, reports, images]) await q.close();
  await redis.stop();
}
