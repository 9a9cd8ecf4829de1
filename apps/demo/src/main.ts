// The whole system in one command: starts the worker pool and the scheduler, runs the producer, shows every job's
// life (enqueued, retried, completed, failed, with ids and timings) and stops everything cleanly. The dashboard is
// served meanwhile; with --keep (or TQ_DEMO_KEEP=1) it stays up after the jobs are done, until Ctrl-C.
import { type ChildProcess, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { type JobInfo, Queue } from "@tq/client";
import { clusterOptionsFromUrl, isClusterUrl } from "@tq/connection";
import { createDashboard, type Dashboard } from "@tq/dashboard";
import { DEMO_QUEUE } from "@tq/example-contracts";
import { createClient, createCluster } from "redis";
import { type PrivateRedis, redisAnswers, startPrivateRedis } from "./redis.js";

const DEADLINE_MS = Number(process.env.TQ_DEMO_TIMEOUT_MS ?? 60_000);
const DELAY_MS = 2_000;
const EVERY_MS = 1_000;
const KEEP = process.argv.includes("--keep") || process.env.TQ_DEMO_KEEP === "1";
const DASHBOARD_PORT = Number(process.env.TQ_DEMO_DASHBOARD_PORT ?? 7070);
const tty = process.stdout.isTTY === true;
const t0 = Date.now();

const elapsed = () => `${((Date.now() - t0) / 1000).toFixed(2).padStart(6)}s`;
let statusLine = "";
function print(line: string): void {
  if (tty && statusLine) process.stdout.write("\r\x1b[K");
  process.stdout.write(`${elapsed()}  ${line}\n`);
  if (tty && statusLine) process.stdout.write(statusLine);
}
function status(line: string): void {
  if (!tty) return;
  statusLine = `\x1b[2m${elapsed()}  ${line}\x1b[0m`;
  process.stdout.write(`\r\x1b[K${statusLine}`);
}

interface App {
  name: string;
  child: ChildProcess;
  exited: Promise<number | null>;
}

const appPath = (app: string) => fileURLToPath(new URL(`../../${app}/dist/main.js`, import.meta.url));

function startApp(
  name: string,
  app: string,
  env: NodeJS.ProcessEnv,
  args: string[],
  onLine: (l: string) => void,
): App {
  const child = spawn(process.execPath, [appPath(app), ...args], { env, stdio: ["ignore", "pipe", "pipe"] });
  for (const stream of [child.stdout, child.stderr]) {
    if (!stream) continue;
    createInterface({ input: stream }).on("line", (line) => {
      print(`[${name}] ${line}`);
      onLine(line);
    });
  }
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  return { name, child, exited };
}

async function stopApp(app: App): Promise<void> {
  if (app.child.exitCode !== null || app.child.signalCode !== null) return;
  app.child.kill("SIGTERM");
  const timer = setTimeout(() => app.child.kill("SIGKILL"), 15_000);
  await app.exited;
  clearTimeout(timer);
}

function waitForLine(matcher: RegExp, lines: string[], timeoutMs: number): Promise<RegExpMatchArray> {
  return new Promise((resolve, reject) => {
    const deadline = Date.now() + timeoutMs;
    const check = () => {
      for (const line of lines) {
        const match = line.match(matcher);
        if (match) return resolve(match);
      }
      if (Date.now() > deadline) return reject(new Error(`timed out waiting for output ${matcher}`));
      setTimeout(check, 20);
    };
    check();
  });
}

/** The dashboard on 127.0.0.1 (no login: this machine only), on `port` or, when that is taken, any free port. */
async function serveDashboard(
  url: string,
  prefix: string,
): Promise<{ dashboard: Dashboard; server: Server; url: string }> {
  const dashboard = createDashboard({ connection: url, prefix, auth: "none" });
  const server = createServer(dashboard);
  const listen = (port: number) =>
    new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(port, "127.0.0.1", () => {
        server.off("error", reject);
        resolve();
      });
    });
  await listen(DASHBOARD_PORT).catch(() => listen(0));
  const { port } = server.address() as AddressInfo;
  return { dashboard, server, url: `http://127.0.0.1:${port}/` };
}

const ms = (a?: number, b?: number) =>
  a !== undefined && b !== undefined ? `${Math.max(0, b - a)} ms` : "-";

async function main(): Promise<number> {
  // 1. Redis: the one at REDIS_URL, or a private one.
  const wanted = process.env.REDIS_URL ?? "redis://127.0.0.1:6379";
  let privateRedis: PrivateRedis | null = null;
  let url = wanted;
  if (!(await redisAnswers(wanted))) {
    privateRedis = await startPrivateRedis();
    if (!privateRedis) {
      console.error(
        `No Redis answers at ${wanted} and redis-server is not installed: run \`sudo apt-get install -y redis-server\` (or set REDIS_URL).`,
      );
      return 1;
    }
    url = privateRedis.url;
    print(`No Redis at ${wanted}: started a private redis-server at ${url}`);
  } else {
    print(`Using Redis at ${wanted}`);
  }
  const prefix = `tq-demo-${randomBytes(3).toString("hex")}`;
  const queueName = DEMO_QUEUE;
  print(`Queue "${queueName}", key prefix "${prefix}"`);
  const env = {
    ...process.env,
    REDIS_URL: url,
    TQ_PREFIX: prefix,
    TQ_QUEUE: queueName,
    TQ_DELAY_MS: String(DELAY_MS),
    TQ_EVERY_MS: String(EVERY_MS),
    TQ_PROCESSES: "2",
    TQ_CONCURRENCY: "4",
  };

  const queue = new Queue(queueName, { connection: url, prefix });
  // a raw client for the clean-up at the end: a cluster client for a redis-cluster:// URL
  const events = isClusterUrl(url) ? createCluster(clusterOptionsFromUrl(url)) : createClient({ url });
  events.on("error", () => {});
  await events.connect();
  const apps: App[] = [];
  const web = await serveDashboard(url, prefix);
  print(
    `Dashboard: ${web.url}${KEEP ? " (stays up after the demo until Ctrl-C)" : " (run with --keep to leave it up)"}`,
  );
  const jobs = new Map<string, { label: string; info?: JobInfo }>();
  let exitCode = 1;
  try {
    // 2. Follow the queue's events from now on (queue.events(): a live tail of its event stream).
    const following = new AbortController();
    let interval = 0;
    const follow = (async () => {
      let countsAt = 0;
      for await (const event of queue.events({ signal: following.signal })) {
        // `gap`: the stream was trimmed past this reader; the jobs are re-read until they end anyway
        if (event.type === "progress" || event.type === "gap") continue;
        const jobId = event.jobId;
        const info = await queue.getJob(jobId);
        if (!info) continue;
        if (
          !jobs.has(jobId) &&
          info.task === "generate_report" &&
          JSON.stringify(info.args) === '["status","live"]'
        ) {
          interval++;
          jobs.set(jobId, { label: `interval #${interval}` });
        }
        const entry = jobs.get(jobId);
        if (entry) entry.info = info;
        const what = `${info.task}(${JSON.stringify(info.args).slice(1, -1)}) ${jobId}`;
        if (event.type === "completed") {
          print(
            `completed  ${what}  attempt ${info.attempts}, waited ${ms(info.createdAt, info.startedAt)}, ran ${ms(info.startedAt, info.finishedAt)}`,
          );
        } else if (event.type === "retrying") {
          print(`retrying   ${what}  run ${info.attempts} failed: ${event.error?.message}`);
        } else if (event.type === "failed") {
          print(`failed     ${what}  after ${info.attempts} run(s): ${event.error?.message}`);
        }
        if (tty && Date.now() - countsAt > 200) {
          countsAt = Date.now();
          const c = await queue.counts().catch(() => null);
          if (c) {
            status(
              `scheduled ${c.scheduled} | pending ${c.pending} | active ${c.active} | completed ${c.completed} | failed ${c.failed}`,
            );
          }
        }
      }
    })();

    // 3. The worker pool and the scheduler.
    const workerLines: string[] = [];
    const schedulerLines: string[] = [];
    apps.push(startApp("worker", "worker", env, [], (l) => workerLines.push(l)));
    apps.push(startApp("scheduler", "scheduler", env, [], (l) => schedulerLines.push(l)));
    await waitForLine(/Worker started/, workerLines, 30_000);
    const scheduled = await waitForLine(/Scheduled job (\S+)/, schedulerLines, 30_000);
    jobs.set(scheduled[1] as string, { label: "delayed welcome" });

    // 4. The producer.
    const producerLines: string[] = [];
    const producer = startApp("producer", "producer", env, ["--extra"], (l) => producerLines.push(l));
    apps.push(producer);
    if ((await producer.exited) !== 0) throw new Error("the producer failed");
    for (const line of producerLines) {
      const match = line.match(/Enqueued job: (\S+) \((\S+)\)/);
      if (match) jobs.set(match[1] as string, { label: match[2] as string });
    }

    // 5. Until every job has ended and the interval schedule fired twice.
    const deadline = Date.now() + DEADLINE_MS;
    const finished = () =>
      [...jobs.values()].every((j) => j.info?.status === "completed" || j.info?.status === "failed") &&
      interval >= 2;
    while (!finished() && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 100));
      for (const [id, entry] of jobs) {
        if (entry.info?.status !== "completed" && entry.info?.status !== "failed") {
          entry.info = (await queue.getJob(id)) ?? undefined;
        }
      }
    }
    following.abort();
    await follow;
    if (tty) process.stdout.write("\r\x1b[K");
    statusLine = "";

    // 6. Stop the processes (graceful drain), then the summary.
    for (const app of apps) await stopApp(app);
    print("Summary:");
    const rows = [...jobs.entries()].map(([id, { label, info }]) => ({
      job: id,
      what: label,
      status: info?.status ?? "unknown",
      runs: info?.attempts ?? 0,
      waited: ms(info?.createdAt, info?.startedAt),
      ran: ms(info?.startedAt, info?.finishedAt),
      result: info?.status === "failed" ? info.error?.message : JSON.stringify(info?.result),
    }));
    console.table(rows);
    const byLabel = (label: string) => rows.filter((r) => r.what === label);
    const ok =
      finished() &&
      byLabel("send_email").length === 2 &&
      rows.filter((r) => r.status === "failed").length === 1 &&
      rows.find((r) => r.what === "resize_image" && r.status === "failed") !== undefined &&
      rows.filter((r) => r.status === "completed").length === rows.length - 1;
    print(
      ok
        ? "Demo finished: every job reached its expected state."
        : "Demo FAILED: some jobs did not end as expected.",
    );
    exitCode = ok ? 0 : 1;
    if (KEEP) {
      print(`Dashboard still up at ${web.url}: Ctrl-C stops it`);
      await new Promise<void>((resolve) => {
        process.once("SIGINT", resolve);
        process.once("SIGTERM", resolve);
      });
    }
  } catch (error) {
    print(`Demo FAILED: ${(error as Error).message}`);
  } finally {
    for (const app of apps) await stopApp(app);
    await web.dashboard.close();
    web.server.closeAllConnections();
    await new Promise<void>((resolve) => web.server.close(() => resolve()));
    // Remove what the demo wrote (only its own prefix), then disconnect.
    try {
      // on a cluster, SCAN each master, and DEL key by key (the demo's keys live in several hash slots)
      const nodes =
        "masters" in events
          ? await Promise.all(events.masters.map((master) => events.nodeClient(master)))
          : [events];
      for (const node of nodes) {
        for await (const keys of node.scanIterator({ MATCH: `${prefix}:*`, COUNT: 500 })) {
          for (const key of keys) await events.del(key);
        }
      }
    } catch {
      // best effort
    }
    events.destroy();
    await queue.close();
    await privateRedis?.stop();
  }
  return exitCode;
}

process.exitCode = await main();
