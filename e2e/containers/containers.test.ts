// The Dockerfile's images, built with podman on a stand-in base and run as containers against a private Redis:
// the worker pool, the scheduler and a one-shot producer run the example system; SIGTERM drains the worker
// container; every image runs as a non-root user; the dashboard needs a token to listen on every interface.
import { randomBytes } from "node:crypto";
import { fileURLToPath } from "node:url";
import { Queue } from "@tq/client";
import { freePort, type RedisServer, startRedis, uniquePrefix, uniqueQueue, waitFor } from "@tq/testing";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import {
  BASE_IMAGE,
  buildImage,
  Containers,
  composeContainer,
  ensureRedisImage,
  imageTag,
  podman,
  podmanComposeUnavailable,
  podmanUnavailable,
  REDIS_IMAGE,
  run,
  TARGETS,
} from "./podman.js";

const REPO = fileURLToPath(new URL("../..", import.meta.url));
const skipped = await podmanUnavailable();
if (skipped) console.warn(`containers: skipped: ${skipped}`);
const composeSkipped = skipped ?? podmanComposeUnavailable();
if (!skipped && composeSkipped) console.warn(`containers: the compose test is skipped: ${composeSkipped}`);

/** A name for a container of this run. */
const containerName = (what: string) => `tq-test-${what}-${randomBytes(4).toString("hex")}`;

describe.skipIf(skipped !== undefined)("container images", () => {
  let redis: RedisServer;
  const containers = new Containers();
  const queues: Queue[] = [];

  beforeAll(async () => {
    for (const target of TARGETS) await buildImage(REPO, target);
    redis = await startRedis();
  });

  afterAll(async () => {
    await containers.removeAll();
    for (const queue of queues) await queue.close();
    await redis?.stop();
  });

  const openQueue = (name: string, prefix: string) => {
    const queue = new Queue(name, { connection: redis.url, prefix });
    queues.push(queue);
    return queue;
  };

  test("every image runs as the non-root user node", async () => {
    for (const target of TARGETS) {
      expect(await podman("image", "inspect", "--format", "{{.Config.User}}", imageTag(target))).toBe("node");
      expect(await podman("run", "--rm", "--entrypoint", "id", imageTag(target), "-u")).toBe("1000");
    }
  });

  test("worker, scheduler and producer containers run the example system: every job completes", async () => {
    const prefix = uniquePrefix("ctr");
    const name = uniqueQueue("ctr");
    const queue = openQueue(name, prefix);
    const healthPort = await freePort();
    const env = { REDIS_URL: redis.url, TQ_PREFIX: prefix, TQ_QUEUE: name };
    const worker = await containers.start(containerName("worker"), imageTag("worker"), {
      ...env,
      TQ_PROCESSES: "2",
      TQ_CONCURRENCY: "4",
      TQ_HEALTH_PORT: String(healthPort),
    });
    const scheduler = await containers.start(containerName("scheduler"), imageTag("scheduler"), {
      ...env,
      TQ_DELAY_MS: "1000",
      TQ_EVERY_MS: "1000",
    });
    await waitFor(async () => (await containers.logs(worker)).includes("Worker started"), {
      timeoutMs: 60_000,
      what: "the worker container to start",
    });
    const delayed = await waitFor(
      async () => (await containers.logs(scheduler)).match(/Scheduled job (\S+)/)?.[1],
      { timeoutMs: 60_000, what: "the scheduler container to schedule its delayed job" },
    );

    const producer = await containers.once(containerName("producer"), imageTag("producer"), {
      ...env,
      TQ_ROUNDS: "5",
    });
    expect(producer.stderr).toBe("");
    expect(producer.code).toBe(0);
    const ids = [...producer.stdout.matchAll(/Enqueued job: (\S+) \(/g)].map((m) => m[1] as string);
    expect(ids).toHaveLength(15);

    for (const id of [...ids, delayed]) {
      await waitFor(async () => (await queue.getJob(id))?.status === "completed", {
        timeoutMs: 60_000,
        what: `job ${id} to complete`,
      });
    }
    // the interval schedule (only the scheduler fires it) adds completed jobs beyond those 16
    await waitFor(async () => (await queue.counts()).completed >= ids.length + 3, {
      timeoutMs: 60_000,
      what: "the interval schedule to fire twice",
    });
    expect((await queue.counts()).failed).toBe(0);

    const health = await fetch(`http://127.0.0.1:${healthPort}/healthz`);
    expect(health.status).toBe(200);
    const check = await run("podman", ["healthcheck", "run", worker]);
    expect(check.code, check.stdout + check.stderr).toBe(0);
  });

  test("SIGTERM to the worker container drains it: running jobs finish or go back, and it exits 0", async () => {
    const prefix = uniquePrefix("ctr");
    const name = uniqueQueue("drain");
    const queue = openQueue(name, prefix);
    // four jobs of 4 s each on 2 processes × 2 slots: all four run when the signal comes; the image gives 8 s
    const worker = await containers.start(containerName("drain"), imageTag("worker"), {
      REDIS_URL: redis.url,
      TQ_PREFIX: prefix,
      TQ_QUEUE: name,
      TQ_PROCESSES: "2",
      TQ_CONCURRENCY: "2",
      TQ_TASK_MS: "4000",
      TQ_HEALTH_PORT: String(await freePort()),
    });
    await waitFor(async () => (await containers.logs(worker)).includes("Worker started"), {
      timeoutMs: 60_000,
      what: "the worker container to start",
    });
    const jobs = [];
    for (let i = 0; i < 4; i++) jobs.push(await queue.enqueue("generate_report", ["drain", `part-${i}`]));
    await waitFor(async () => (await queue.counts()).active === 4, {
      timeoutMs: 30_000,
      what: "all four jobs to run",
    });

    await podman("kill", "--signal", "TERM", worker);
    const state = await waitFor(
      async () => {
        const s = await containers.state(worker);
        return s.status === "exited" ? s : undefined;
      },
      { timeoutMs: 60_000, what: "the worker container to exit" },
    );
    const logs = await containers.logs(worker);
    expect(state.exitCode, logs).toBe(0);
    expect(logs).toContain("Worker pool got SIGTERM: draining");
    expect(logs).toContain("Worker pool stopped.");
    const statuses = await Promise.all(jobs.map(async (job) => (await queue.getJob(job.id))?.status));
    for (const status of statuses) expect(["completed", "pending"]).toContain(status);
    expect((await queue.counts()).active).toBe(0);
    console.log(`containers: after SIGTERM the drained jobs are ${statuses.join(", ")}`);
  });

  test("the dashboard container needs a token to listen on every interface, and serves with one", async () => {
    const prefix = uniquePrefix("ctr");
    const name = uniqueQueue("dash");
    await openQueue(name, prefix).enqueue("send_email", ["user@example.com", "Welcome!"]);
    const env = { REDIS_URL: redis.url, TQ_PREFIX: prefix };

    const refused = await containers.once(containerName("dash-open"), imageTag("dashboard"), env);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/TQ_DASHBOARD_HOST 0\.0\.0\.0 is not a loopback address: give a token/);

    const token = randomBytes(24).toString("hex");
    const port = await freePort();
    const dashboard = await containers.start(containerName("dash"), imageTag("dashboard"), {
      ...env,
      TQ_DASHBOARD_TOKEN: token,
      TQ_DASHBOARD_PORT: String(port),
    });
    await waitFor(async () => (await containers.logs(dashboard)).includes("log in with the token"), {
      timeoutMs: 60_000,
      what: "the dashboard container to listen",
    });
    expect((await fetch(`http://127.0.0.1:${port}/`)).status).toBe(401);
    const page = await fetch(`http://127.0.0.1:${port}/`, { headers: { authorization: `Bearer ${token}` } });
    expect(page.status).toBe(200);
    expect(await page.text()).toContain(`data-queue="${name}"`);

    await podman("kill", "--signal", "TERM", dashboard);
    const state = await waitFor(
      async () => {
        const s = await containers.state(dashboard);
        return s.status === "exited" ? s : undefined;
      },
      { timeoutMs: 30_000, what: "the dashboard container to exit" },
    );
    expect(state.exitCode).toBe(0);
    expect(await containers.logs(dashboard)).not.toContain(token);
  });

  test.skipIf(composeSkipped !== undefined)(
    "compose.yaml runs Redis with AOF, the worker pool, the scheduler, the dashboard and the one-shot producer",
    async () => {
      await ensureRedisImage();
      const project = `tqtest${randomBytes(4).toString("hex")}`;
      const token = randomBytes(24).toString("hex");
      const port = await freePort();
      const env = {
        ...process.env,
        BASE: BASE_IMAGE,
        REDIS_IMAGE,
        TQ_TAG: "test",
        TQ_DASHBOARD_TOKEN: token,
        TQ_DASHBOARD_PORT: String(port),
      };
      const compose = (...args: string[]) =>
        run("podman-compose", ["-p", project, "-f", "compose.yaml", ...args], { env, cwd: REPO });
      try {
        const up = await compose("up", "-d", "--no-build");
        expect(up.code, up.stdout + up.stderr).toBe(0);
        const container = async (service: string) => {
          const name = await composeContainer(project, service);
          if (!name) throw new Error(`compose started no ${service} container`);
          return name;
        };
        // the producer enqueues five jobs: four complete (one after a retry), one fails for good; the scheduler
        // adds a delayed one 10 s after it starts. `tq stats` in the dashboard's image reads them.
        const dashboard = await container("dashboard");
        const stats = async () => {
          const out = await run("podman", [
            "exec",
            dashboard,
            "node",
            "dist/bin.js",
            "stats",
            "tasks",
            "--json",
          ]);
          return out.code === 0
            ? (JSON.parse(out.stdout) as { counts: { completed: number; failed: number } }).counts
            : undefined;
        };
        const counts = await waitFor(
          async () => {
            const c = await stats();
            return c && c.completed >= 5 && c.failed >= 1 ? c : undefined;
          },
          { timeoutMs: 120_000, what: "the compose system to run the producer's and the scheduler's jobs" },
        );
        expect(counts.failed).toBe(1);
        const producer = await containers.state(await container("producer"));
        expect(producer).toMatchObject({ status: "exited", exitCode: 0 });
        const redisContainer = await container("redis");
        expect(await podman("exec", redisContainer, "redis-cli", "config", "get", "appendonly")).toBe(
          "appendonly\nyes",
        );
        const page = await fetch(`http://127.0.0.1:${port}/`, {
          headers: { authorization: `Bearer ${token}` },
        });
        expect(page.status).toBe(200);
        expect(await page.text()).toContain('data-queue="tasks"');
        expect((await fetch(`http://127.0.0.1:${port}/`)).status).toBe(401);
      } finally {
        await compose("down", "-v");
        // podman-compose 1.0 leaves the project's network behind
        await run("podman", ["network", "rm", "-f", `${project}_default`]);
      }
    },
  );
});
