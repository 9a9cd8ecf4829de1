import { Queue } from "@tq/client";
import { queueKeys } from "@tq/protocol";
import { Scheduler } from "@tq/scheduler";
import { freePort, onCluster, startRedis, testClient, uniquePrefix, uniqueQueue, waitFor } from "@tq/testing";
import { Worker } from "@tq/worker";
import { createClient } from "redis";
import { afterAll, beforeAll, describe, expect, inject, test } from "vitest";
import { json, tq, tqOn } from "./tq.js";

const url = inject("redisUrl");
const client = testClient(url);
client.on("error", () => {});
beforeAll(() => client.connect());
afterAll(() => client.close());

const quiet = { debug() {}, info() {}, warn() {}, error() {} };
/** Every key under a prefix (SCAN; of every master on a cluster). */
const keysOf = async (prefix: string) => {
  const keys: string[] = [];
  for await (const batch of client.scanIterator({ MATCH: `${prefix}:*`, COUNT: 1000 })) keys.push(...batch);
  return keys.sort();
};

describe("help", () => {
  test("lists every command; each command has --help with the common flags", async () => {
    const top = await tq(["--help"]);
    expect(top.code).toBe(0);
    for (const name of [
      "queues",
      "stats",
      "jobs",
      "job",
      "enqueue",
      "retry",
      "cancel",
      "purge",
      "pause",
      "resume",
      "workers",
      "schedules",
      "doctor",
      "dashboard",
    ]) {
      expect(top.stdout).toContain(`  ${name} `);
    }
    const stats = await tq(["stats", "--help"]);
    expect(stats.code).toBe(0);
    expect(stats.stdout).toMatch(/--redis-url[\s\S]*--prefix[\s\S]*--json/);
    expect(stats.stdout).toContain("--watch");
  });
});

describe("with a live worker", () => {
  const prefix = uniquePrefix();
  const name = uniqueQueue("cli");
  const run = tqOn(url, prefix);
  let worker: Worker;
  let release: () => void = () => {};
  const gate = new Promise<void>((resolve) => {
    release = resolve;
  });

  beforeAll(async () => {
    worker = new Worker(
      name,
      {
        ok: async ([n]: [number]) => ({ doubled: n * 2 }),
        boom: async () => {
          throw new Error("boom on purpose");
        },
        slow: async () => gate,
      },
      { connection: url, prefix, concurrency: 4, logger: quiet },
    );
    worker.on("error", () => {});
    await worker.start();
  });
  afterAll(async () => {
    release();
    await worker.close({ timeoutMs: 0 });
  });

  test("enqueue, job, stats, jobs, queues: human and --json", async () => {
    const created = json<{ id: string; created: boolean }>(
      await run("enqueue", name, "ok", "[21]", "--job-id", "ok-1", "--json"),
    );
    expect(created).toMatchObject({ id: "ok-1", created: true });
    const human = await run(
      "enqueue",
      name,
      "boom",
      "[]",
      "--job-id",
      "boom-1",
      "--max-retries",
      "0",
      "--priority",
      "high",
    );
    expect(human.code).toBe(0);
    expect(human.stdout).toBe(`enqueued job boom-1 (task boom) in queue ${name}\n`);
    expect((await run("enqueue", name, "ok", "[21]", "--job-id", "ok-1")).stdout).toContain("exists already");
    await run("enqueue", name, "slow", "[]", "--job-id", "slow-1");

    await waitFor(
      async () => (await client.hGet(queueKeys(name, prefix).job("boom-1"), "state")) === "failed",
    );
    await waitFor(
      async () => (await client.hGet(queueKeys(name, prefix).job("ok-1"), "state")) === "completed",
    );
    await waitFor(
      async () => (await client.hGet(queueKeys(name, prefix).job("slow-1"), "state")) === "active",
    );

    const ok = json<{ job: Record<string, unknown>; timeline: Array<{ what: string }> }>(
      await run("job", name, "ok-1", "--json"),
    );
    expect(ok.job).toMatchObject({
      id: "ok-1",
      status: "completed",
      result: { doubled: 42 },
      attempts: 1,
      stalls: 0,
    });
    expect(ok.job.workerId).toEqual(expect.any(String));
    expect(ok.timeline.map((t) => t.what)).toEqual(
      expect.arrayContaining(["created", "started", "finished", "completed"]),
    );
    const failedJob = await run("job", name, "boom-1");
    expect(failedJob.code).toBe(0);
    expect(failedJob.stdout).toMatch(/status\s+failed/);
    expect(failedJob.stdout).toContain("boom on purpose");
    expect(failedJob.stdout).toMatch(/errors \(1 failed run\(s\)\)/);
    expect((await run("job", name, "slow-1")).stdout).toMatch(/status\s+active/);

    const stats = json<{ counts: Record<string, number>; paused: boolean }>(
      await run("stats", name, "--json"),
    );
    expect(stats.counts).toEqual({ scheduled: 0, pending: 0, active: 1, completed: 1, failed: 1 });
    expect(stats.paused).toBe(false);
    const statsHuman = await run("stats", name);
    expect(statsHuman.stdout).toMatch(/active\s+1\n/);

    const failedPage = json<{ total: number; jobs: Array<{ id: string }> }>(
      await run("jobs", name, "--status", "failed", "--json"),
    );
    expect(failedPage.total).toBe(1);
    expect(failedPage.jobs.map((j) => j.id)).toEqual(["boom-1"]);
    expect((await run("jobs", name, "--status", "failed")).stdout).toMatch(
      /boom-1\s+boom\s+high[\s\S]*boom on purpose/,
    );

    const queues = json<{ queues: Array<{ queue: string; active: number }> }>(await run("queues", "--json"));
    expect(queues.queues).toEqual([
      expect.objectContaining({ queue: name, active: 1, failed: 1, completed: 1 }),
    ]);
    expect((await run("queues")).stdout).toMatch(
      new RegExp(`^QUEUE.*\\n${name}\\s+0\\s+0\\s+1\\s+1\\s+1\\s+no\\n$`),
    );
  });

  test("retry, cancel, pause, resume, purge", async () => {
    await waitFor(async () => (await client.zCard(queueKeys(name, prefix).failed)) === 1);
    const retried = await run("retry", name, "boom-1");
    expect(retried.code).toBe(0);
    await waitFor(
      async () => (await client.hGet(queueKeys(name, prefix).job("boom-1"), "state")) === "failed",
    );
    expect(json(await run("retry", name, "--all-failed", "--json"))).toEqual({ queue: name, retried: 1 });
    await waitFor(
      async () => (await client.hGet(queueKeys(name, prefix).job("boom-1"), "state")) === "failed",
    );
    const notFailed = await run("retry", name, "ok-1");
    expect(notFailed).toMatchObject({ code: 1, stdout: "" });
    expect(notFailed.stderr).toBe(
      `tq: job "ok-1" in queue "${name}" is completed; only failed jobs can be retried\n`,
    );

    expect(json(await run("pause", name, "--json"))).toEqual({ queue: name, paused: true });
    expect(await client.hGet(queueKeys(name, prefix).meta, "paused")).toBe("1");
    await run("enqueue", name, "ok", "[1]", "--job-id", "waiting");
    expect((await run("cancel", name, "waiting")).stdout).toBe(`cancelled job waiting in queue ${name}\n`);
    const cancelActive = await run("cancel", name, "slow-1", "--json");
    expect(cancelActive.code).toBe(0);
    expect(json(cancelActive)).toEqual({ queue: name, id: "slow-1", cancelled: true, running: true });
    expect(await client.hGet(queueKeys(name, prefix).job("slow-1"), "state")).toBe("failed");
    const cancelDone = await run("cancel", name, "ok-1");
    expect(cancelDone).toMatchObject({ code: 1, stdout: "" });
    expect(cancelDone.stderr).toContain("is completed");
    expect((await run("resume", name)).stdout).toBe(`resumed queue ${name}\n`);
    expect(await client.hGet(queueKeys(name, prefix).meta, "paused")).toBeNull();

    expect(json(await run("purge", name, "--status", "completed", "--json"))).toEqual({
      queue: name,
      status: "completed",
      removed: 1,
    });
    expect(await client.exists(queueKeys(name, prefix).job("ok-1"))).toBe(0);
    expect((await run("purge", name, "--status", "failed")).stdout).toBe(
      `removed 2 failed job(s) from queue ${name}\n`,
    );
    expect(await client.zCard(queueKeys(name, prefix).failed)).toBe(0);
  });

  test("stats --watch prints a sample per interval until SIGINT, then exits 0", async () => {
    const { spawn } = await import("node:child_process");
    const { BIN } = await import("./tq.js");
    const child = spawn(process.execPath, [BIN, "stats", name, "--watch", "--json", "--interval-ms", "100"], {
      env: { ...process.env, REDIS_URL: url, TQ_PREFIX: prefix },
    });
    let out = "";
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
      out += chunk;
    });
    const exited = new Promise<number | null>((resolve) => child.once("exit", resolve));
    await waitFor(() => out.split("\n").filter(Boolean).length >= 2, { what: "two samples" });
    child.kill("SIGINT");
    expect(await exited).toBe(0);
    for (const line of out.split("\n").filter(Boolean))
      expect(JSON.parse(line)).toMatchObject({ queue: name });
  });
});

describe("jobs pagination", () => {
  test("pages through a state by --offset and --limit, with the total and the next offset", async () => {
    const prefix = uniquePrefix();
    const name = uniqueQueue("page");
    const queue = new Queue(name, { connection: url, prefix, logger: quiet });
    for (let i = 0; i < 5; i++) await queue.enqueue("t", [i], { jobId: `j${i}` });
    await queue.close();
    const run = tqOn(url, prefix);
    const page = json<{ total: number; nextOffset: number | null; jobs: Array<{ id: string }> }>(
      await run("jobs", name, "--limit", "2", "--offset", "2", "--json"),
    );
    expect(page).toMatchObject({ total: 5, nextOffset: 4 });
    expect(page.jobs.map((j) => j.id)).toEqual(["j2", "j3"]);
    const last = await run("jobs", name, "--limit", "2", "--offset", "4");
    expect(last.stdout).toMatch(/j4[\s\S]*pending 5-5 of 5\n$/);
    expect((await run("jobs", name, "--limit", "2")).stdout).toMatch(
      /pending 1-2 of 5; next page: --offset 2\n$/,
    );
  });
});

describe("flow control", () => {
  test("stats shows the queue's rate limit and global concurrency, human and --json", async () => {
    const prefix = uniquePrefix();
    const name = uniqueQueue("limits");
    const queue = new Queue(name, { connection: url, prefix, logger: quiet });
    await queue.enqueue("t", []);
    const run = tqOn(url, prefix);
    expect((await run("stats", name)).stdout).toMatch(/^limits\s+none$/m);
    await queue.setRateLimit({ max: 100, durationMs: 1_000 });
    await queue.setConcurrency(20);
    expect((await run("stats", name)).stdout).toMatch(/^limits\s+100 starts \/ 1\.0s, 20 active$/m);
    const view = json<{ limits: unknown }>(await run("stats", name, "--json"));
    expect(view.limits).toEqual({
      rateLimit: { max: 100, durationMs: 1_000 },
      concurrency: 20,
      heldUntil: null,
      groupConcurrency: null,
      groupRateLimit: null,
    });
    await queue.setGroupConcurrency(2, { rateLimit: { max: 10, durationMs: 1_000 } });
    expect((await run("stats", name)).stdout).toMatch(
      /^limits\s+100 starts \/ 1\.0s, 20 active, per group: 2 active, 10 starts \/ 1\.0s$/m,
    );
    await queue.close();
  });

  test("groups lists the queue's groups with their counts; enqueue takes --group", async () => {
    const prefix = uniquePrefix();
    const name = uniqueQueue("groups");
    const queue = new Queue(name, { connection: url, prefix, logger: quiet });
    await queue.enqueueMany([
      { task: "t", opts: { group: "tenant-b" } },
      { task: "t", opts: { group: "tenant-a" } },
      { task: "t", opts: { group: "tenant-b" } },
    ]);
    const run = tqOn(url, prefix);
    expect((await run("enqueue", name, "t", "[]", "--group", "tenant-c")).code).toBe(0);
    const human = await run("groups", name);
    expect(human.stdout).toMatch(
      /^GROUP\s+PENDING\s+ACTIVE\ntenant-a\s+1\s+0\ntenant-b\s+2\s+0\ntenant-c\s+1\s+0\n$/,
    );
    const page = json<{ groups: Array<{ name: string; pending: number }>; cursor: string | null }>(
      await run("groups", name, "--json"),
    );
    expect(page.cursor).toBeNull();
    expect(page.groups.map((g) => g.name).sort()).toEqual(["tenant-a", "tenant-b", "tenant-c"]);
    expect((await run("enqueue", name, "t", "[]", "--group", "")).code).toBe(2);
    await queue.close();
  });
});

describe("schedules", () => {
  test("lists the schedules, human and --json", async () => {
    const prefix = uniquePrefix();
    const scheduler = new Scheduler({ connection: url, prefix });
    await scheduler.upsertSchedule(
      "nightly",
      { cron: "0 3 * * *", timezone: "UTC" },
      { queue: "reports", task: "report", args: ["daily"] },
    );
    await scheduler.close();
    const run = tqOn(url, prefix);
    const listed = json<{ schedules: Array<{ name: string; queue: string }> }>(
      await run("schedules", "--json"),
    );
    expect(listed.schedules).toEqual([
      expect.objectContaining({ name: "nightly", queue: "reports", task: "report" }),
    ]);
    expect((await run("schedules")).stdout).toMatch(/nightly\s+reports\s+report\s+cron 0 3 \* \* \* \(UTC\)/);
  });
});

describe("doctor", () => {
  test.runIf(onCluster())(
    "on a Redis Cluster: every master is checked, each server finding names its node",
    async () => {
      const prefix = uniquePrefix();
      const result = await tq(["doctor", "--json"], { REDIS_URL: url, TQ_PREFIX: prefix });
      // the test cluster keeps nothing on disk: each master's persistence finding fails (exit 1), naming it
      expect(result.code).toBe(1);
      const report = JSON.parse(result.stdout) as {
        checks: Array<{ name: string; status: string; node?: string; message: string }>;
      };
      const masters = (await client.masterClients()).length;
      expect(report.checks.find((c) => c.name === "cluster")).toMatchObject({
        status: "ok",
        message: expect.stringMatching(new RegExp(`^Redis Cluster, ${masters} master\\(s\\): `)),
      });
      for (const name of ["redis-version", "maxmemory-policy", "persistence", "memory"]) {
        const perNode = report.checks.filter((c) => c.name === name);
        expect(new Set(perNode.map((c) => c.node)).size).toBe(masters);
        for (const check of perNode) expect(check.message.startsWith(`node ${check.node}: `)).toBe(true);
      }
      expect((await tq(["doctor"], { REDIS_URL: url, TQ_PREFIX: prefix })).stdout).toMatch(
        /FAIL {2}node 127\.0\.0\.1:\d+: no persistence/,
      );
    },
  );

  // a standalone server of its own (CONFIG SET maxmemory): nothing of it depends on the project's topology
  test.skipIf(onCluster())("a safe Redis with healthy queues: every check ok, exit 0", async () => {
    const server = await startRedis({ appendonly: true });
    try {
      const result = await tq(["doctor", "--json"], { REDIS_URL: server.url });
      const report = json<{ ok: boolean; checks: Array<{ status: string }> }>(result);
      expect(report.ok).toBe(true);
      expect(report.checks.every((c) => c.status === "ok")).toBe(true);
      expect((await tq(["doctor"], { REDIS_URL: server.url })).stdout).toMatch(/no problems found\n$/);
    } finally {
      await server.stop();
    }
  });

  // a standalone server of its own (CONFIG SET maxmemory): nothing of it depends on the project's topology
  test.skipIf(onCluster())(
    "evicting policy, no persistence, memory near maxmemory, expired leases, overdue jobs: exit 1, each with a fix",
    async () => {
      const server = await startRedis({ args: ["--maxmemory-policy", "volatile-lru"] });
      const raw = createClient({ url: server.url });
      raw.on("error", () => {});
      await raw.connect();
      try {
        const k = queueKeys("stuck", "tq");
        await raw.sAdd("tq:queues", "stuck");
        const longAgo = Date.now() - 10 * 60_000;
        await raw.zAdd(k.active, { score: longAgo, value: "lost" });
        await raw.zAdd(k.scheduled, { score: longAgo, value: "late" });
        // a limit just above what the server uses now (set last: writes beyond it fail; volatile-lru evicts only keys
        // with a TTL, so the queue keys stay): memory near maxmemory
        const used = Number(/used_memory:(\d+)/.exec(await raw.info("memory"))?.[1]);
        await raw.configSet("maxmemory", String(Math.ceil(used * 1.05)));
        const result = await tq(["doctor", "--json"], { REDIS_URL: server.url });
        expect(result.code).toBe(1);
        const report = JSON.parse(result.stdout) as {
          ok: boolean;
          checks: Array<{ name: string; status: string; fix?: string }>;
        };
        expect(report.ok).toBe(false);
        const failed = report.checks.filter((c) => c.status === "fail");
        expect(failed.map((c) => c.name).sort()).toEqual([
          "expired-leases",
          "maxmemory-policy",
          "memory",
          "overdue-delayed",
          "persistence",
        ]);
        for (const check of failed) expect(check.fix).toEqual(expect.any(String));
        const human = await tq(["doctor"], { REDIS_URL: server.url });
        expect(human.code).toBe(1);
        expect(human.stdout).toMatch(
          /FAIL {2}maxmemory-policy is volatile-lru[^\n]*\n {6}fix: CONFIG SET maxmemory-policy noeviction/,
        );
        expect(human.stdout).toMatch(/problems found\n$/);
      } finally {
        await raw.close();
        await server.stop();
      }
    },
  );
});

describe("bad input", () => {
  // each: exit 2, one line on stderr, nothing on stdout, nothing written under the prefix
  const cases: Array<[string, string[]]> = [
    ["unknown command", ["nope"]],
    ["unknown flag", ["queues", "--bogus"]],
    ["missing argument", ["jobs"]],
    ["malformed job id", ["job", "q", "a b"]],
    ["malformed job id flag", ["enqueue", "q", "t", "[]", "--job-id", "x{y}"]],
    ["malformed queue name", ["stats", "bad{queue}"]],
    ["invalid JSON args", ["enqueue", "q", "t", "{not json"]],
    ["bad number", ["jobs", "q", "--limit", "ten"]],
    ["number out of range", ["jobs", "q", "--limit", "0"]],
    ["negative delay", ["enqueue", "q", "t", "[]", "--delay-ms", "-1"]],
    ["bad priority", ["enqueue", "q", "t", "[]", "--priority", "urgent"]],
    ["bad status", ["jobs", "q", "--status", "done"]],
    ["purge without --status", ["purge", "q"]],
    ["purge of a live state", ["purge", "q", "--status", "pending"]],
    ["retry with neither id nor --all-failed", ["retry", "q"]],
    ["retry with both", ["retry", "q", "j", "--all-failed"]],
    ["bad prefix", ["queues", "--prefix", "a b"]],
    ["non-redis URL", ["queues", "--redis-url", "http://user:sekret@host"]],
    ["cluster URL with a bad port", ["queues", "--redis-url", "redis-cluster://user:sekret@host:0"]],
    ["cluster URL without nodes", ["queues", "--redis-url", "redis-cluster://user:sekret@"]],
    ["no command", []],
  ];
  test.each(cases)("%s: exit 2, one line, nothing written", async (_label, args) => {
    const prefix = uniquePrefix();
    const result = await tq(args, { REDIS_URL: url, TQ_PREFIX: prefix });
    expect(result.code).toBe(2);
    expect(result.stdout).toBe("");
    expect(result.stderr).toMatch(/^tq: [^\n]+\n$/);
    expect(result.stderr).not.toContain("sekret");
    expect(await keysOf(prefix)).toEqual([]);
  });

  test("an unknown queue: exit 1, one line naming it, nothing written", async () => {
    const prefix = uniquePrefix();
    for (const args of [
      ["stats", "ghost"],
      ["jobs", "ghost"],
      ["pause", "ghost"],
      ["retry", "ghost", "--all-failed"],
    ]) {
      const result = await tq(args, { REDIS_URL: url, TQ_PREFIX: prefix });
      expect(result.code).toBe(1);
      expect(result.stderr).toBe(
        `tq: no queue "ghost" under prefix "${prefix}" (not in ${prefix}:queues, no keys); "tq queues" lists the known ones\n`,
      );
    }
    expect(await keysOf(prefix)).toEqual([]);
  });

  test("an unreachable Redis: exit 1, one line, the password not shown", async () => {
    const port = await freePort();
    for (const args of [["queues"], ["doctor", "--json"], ["enqueue", "q", "t", "[]"]]) {
      const result = await tq([...args, "--redis-url", `redis://alice:sekret@127.0.0.1:${port}`]);
      expect(result.code).toBe(1);
      expect(result.stdout).toBe("");
      expect(result.stderr).toMatch(
        new RegExp(`^tq: cannot connect to Redis at redis://\\*\\*\\*@127\\.0\\.0\\.1:${port}[^\\n]*\\n$`),
      );
      expect(result.stderr).not.toContain("sekret");
    }
  });

  test("an unreachable Redis Cluster: exit 1, one line naming the nodes, the password not shown", async () => {
    const [a, b] = [await freePort(), await freePort()];
    const result = await tq([
      "queues",
      "--redis-url",
      `redis-cluster://alice:sekret@127.0.0.1:${a},127.0.0.1:${b}`,
    ]);
    expect(result.code).toBe(1);
    expect(result.stdout).toBe("");
    expect(result.stderr).toMatch(
      new RegExp(
        `^tq: cannot connect to Redis at redis-cluster://\\*\\*\\*@127\\.0\\.0\\.1:${a},127\\.0\\.0\\.1:${b}[^\\n]*\\n$`,
      ),
    );
    expect(result.stderr).not.toContain("sekret");
  });

  test("--log-format json or TQ_LOG_FORMAT=json: the error is one JSON line, the password not shown", async () => {
    const port = await freePort();
    const url = `redis://alice:sekret@127.0.0.1:${port}`;
    for (const result of [
      await tq(["queues", "--log-format", "json", "--redis-url", url]),
      await tq(["queues"], { REDIS_URL: url, TQ_LOG_FORMAT: "json" }),
    ]) {
      expect(result.code).toBe(1);
      expect(result.stdout).toBe("");
      const lines = result.stderr.trimEnd().split("\n");
      expect(lines).toHaveLength(1);
      expect(JSON.parse(lines[0] ?? "")).toEqual({
        level: 50,
        time: expect.any(Number),
        name: "tq cli",
        msg: expect.stringMatching(
          new RegExp(`^cannot connect to Redis at redis://\\*\\*\\*@127\\.0\\.0\\.1:${port}`),
        ),
      });
      expect(result.stderr).not.toContain("sekret");
    }
  });
});
