import { request as httpRequest } from "node:http";
import { networkInterfaces } from "node:os";
import { Queue } from "@tq/client";
import { Scheduler } from "@tq/scheduler";
import { uniquePrefix, uniqueQueue, waitFor } from "@tq/testing";
import { Worker } from "@tq/worker";
import { afterAll, beforeAll, describe, expect, inject, test } from "vitest";
import { createDashboard } from "../src/index.js";
import { type Served, send, serve } from "./serve.js";

const url = inject("redisUrl");
const quiet = { debug() {}, info() {}, warn() {}, error() {} };
const TOKEN = "a-test-token-of-enough-length";

/** The text of an element's class="error" paragraph (the message of a 4xx page). */
const errorText = (html: string) =>
  (/class="error"[^>]*>([^<]*)</.exec(html)?.[1] ?? "")
    .replaceAll("&quot;", '"')
    .replaceAll("&#39;", "'")
    .replaceAll("&lt;", "<")
    .replaceAll("&gt;", ">")
    .replaceAll("&amp;", "&");

describe("pages, actions and input checks (auth none, on loopback)", () => {
  const prefix = uniquePrefix();
  const name = uniqueQueue("pages");
  let served: Served;
  let queue: Queue;
  let worker: Worker;
  let scheduler: Scheduler;

  beforeAll(async () => {
    queue = new Queue(name, { connection: url, prefix, logger: quiet });
    worker = new Worker(
      name,
      {
        ok: async ([n]: [number]) => ({ doubled: n * 2 }),
        boom: async () => {
          throw new Error("boom on purpose");
        },
        /** Runs until its signal aborts (a cancel). */
        wait: async (_args: unknown, ctx) =>
          new Promise((_resolve, reject) => {
            ctx.signal.addEventListener("abort", () => reject(ctx.signal.reason), { once: true });
          }),
      },
      { connection: url, prefix, concurrency: 2, logger: quiet },
    );
    worker.on("error", () => {});
    await worker.start();
    scheduler = new Scheduler({ connection: url, prefix, logger: quiet });
    scheduler.on("error", () => {});
    await scheduler.upsertSchedule(
      "nightly-report",
      { cron: "0 3 * * *", timezone: "UTC" },
      { queue: name, task: "ok", args: [1] },
    );
    served = await serve({ connection: url, prefix, auth: "none" });
  });
  afterAll(async () => {
    await served.close();
    await worker.close({ timeoutMs: 0 });
    await scheduler.close();
    await queue.close();
  });

  test("every page renders with the queue's data and the security headers", async () => {
    const done = await queue.enqueue("ok", [21], { jobId: "done-1" });
    await queue.waitForResult(done.id, { timeoutMs: 20_000 });

    const overview = await served.request("/");
    expect(overview.status).toBe(200);
    expect(overview.body).toContain(`data-queue="${name}"`);
    expect(overview.body).toContain('data-chart="throughput"');
    expect(overview.body).toContain('data-chart="wait"');
    expect(overview.headers["content-security-policy"]).toMatch(/default-src 'self'/);
    expect(overview.headers["content-security-policy"]).not.toContain("unsafe-inline");
    expect(overview.headers["x-content-type-options"]).toBe("nosniff");
    expect(overview.headers["x-frame-options"]).toBe("DENY");
    expect(overview.headers["referrer-policy"]).toBe("same-origin");
    // no inline script: every <script> has a src
    expect(overview.body.match(/<script(?![^>]*\ssrc=)[^>]*>/g)).toBeNull();

    const page = await served.request(`/queues/${name}?state=completed`);
    expect(page.status).toBe(200);
    expect(page.body).toContain(`/queues/${name}/job?id=done-1`);

    const job = await served.request(`/queues/${name}/job?id=done-1`);
    expect(job.status).toBe(200);
    expect(job.body).toContain("&quot;doubled&quot;: 42");
    expect(job.body).toMatch(/<td>created<\/td><td>record<\/td>/);
    expect(job.body).toMatch(/<td>completed<\/td><td>event<\/td>/);

    const workers = await served.request("/workers");
    expect(workers.status).toBe(200);
    expect(workers.body).toContain(`data-worker="${worker.workerId}"`);
    expect(workers.body).toContain("running");

    const schedules = await served.request("/schedules");
    expect(schedules.status).toBe(200);
    expect(schedules.body).toContain('data-schedule="nightly-report"');
    expect(schedules.body).toContain("cron 0 3 * * * (UTC)");

    for (const asset of ["dashboard.js", "dashboard.css", "uplot.js", "uplot.css"]) {
      const reply = await served.request(`/assets/${asset}`);
      expect(reply.status, asset).toBe(200);
      expect(reply.body.length, asset).toBeGreaterThan(500);
    }
  });

  test("a failed job shows each run's error and stack; args with markup render as text", async () => {
    const payload = "<script>alert(1)</script><img src=x onerror=alert(2)>";
    const job = await queue.enqueue("boom", [payload], {
      maxRetries: 1,
      backoff: { type: "fixed", delayMs: 10 },
    });
    await waitFor(async () => (await queue.getJob(job.id))?.status === "failed", { what: "job failed" });
    const page = await served.request(`/queues/${name}/job?id=${job.id}`);
    expect(page.status).toBe(200);
    expect(page.body).toContain("boom on purpose");
    expect(page.body).toMatch(/Run 1: Error: boom on purpose/);
    expect(page.body).toMatch(/Run 2: Error: boom on purpose/);
    expect(page.body).toContain("at "); // a stack line
    expect(page.body).not.toContain("<script>alert(1)");
    expect(page.body).not.toContain("<img src=x");
    expect(page.body).toContain("&lt;script&gt;alert(1)&lt;/script&gt;");
    const list = await served.request(`/queues/${name}?state=failed`);
    expect(list.body).not.toContain("<img src=x");
  });

  test("bad input is a clear 4xx page, never a 500", async () => {
    const cases: Array<[string, number, RegExp]> = [
      ["/queues/bad%20name", 400, /malformed queue name/],
      ["/queues/no-such-queue", 404, /no queue "no-such-queue"/],
      [`/queues/${name}?state=finished`, 400, /unknown state "finished"/],
      [`/queues/${name}?page=0`, 400, /page must be a whole number/],
      [`/queues/${name}?page=-3`, 400, /page must be a whole number/],
      [`/queues/${name}?page=abc`, 400, /page must be a whole number/],
      [`/queues/${name}?page=99999`, 404, /past the last page/],
      [`/queues/${name}/job?id=a%20b`, 400, /malformed job id/],
      [`/queues/${name}/job`, 400, /malformed job id/],
      [`/queues/${name}/job?id=never-was`, 404, /has no job "never-was"/],
      ["/no/such/page", 404, /no such page/],
      ["/assets/../../package.json", 404, /./],
      ["/live?queue=no-such-queue", 404, /no queue/],
    ];
    for (const [path, status, text] of cases) {
      const reply = await served.request(path);
      expect(reply.status, path).toBe(status);
      expect(reply.headers["content-type"], path).toMatch(/text\/html/);
      if (path !== "/assets/../../package.json") expect(errorText(reply.body), path).toMatch(text);
    }
    const browser = served.browser();
    const csrf = await browser.csrf(`/queues/${name}`);
    const purge = await browser.post(`/queues/${name}/purge`, { _csrf: csrf, state: "active" });
    expect(purge.status).toBe(400);
    const retry = await browser.post(`/queues/${name}/job/retry`, { _csrf: csrf, id: "done-1" });
    expect(retry.status).toBe(409);
    expect(errorText(retry.body)).toMatch(/is completed; only failed jobs can be retried/);
  });

  test("actions change Redis: pause, resume, retry one, retry all, cancel, purge", async () => {
    const browser = served.browser();
    const csrf = await browser.csrf(`/queues/${name}`);
    const post = (path: string, form: Record<string, string> = {}) =>
      browser.post(`/queues/${name}${path}`, { _csrf: csrf, ...form });

    expect((await post("/pause")).status).toBe(303);
    expect(await queue.isPaused()).toBe(true);
    const paused = await browser.get(`/queues/${name}?done=paused`);
    expect(paused.body).toContain("Paused: workers claim no new jobs");
    expect(paused.body).toContain('action="/queues/' + name + '/resume"');

    const pending = await queue.enqueue("ok", [1]);
    expect((await post("/job/cancel", { id: pending.id })).status).toBe(303);
    expect(await queue.getJob(pending.id)).toBeNull();

    expect((await post("/resume")).status).toBe(303);
    expect(await queue.isPaused()).toBe(false);

    const failing = await Promise.all([1, 2, 3].map(() => queue.enqueue("boom", [], { maxRetries: 0 })));
    await waitFor(async () => (await queue.counts()).failed >= 3, { what: "3 failed" });
    const one = failing[0]?.id ?? "";
    const retried = await post("/job/retry", { id: one });
    expect(retried.status).toBe(303);
    expect(retried.headers.location).toContain(`/job?id=${one}&done=retried`);
    await waitFor(
      async () => {
        const job = await queue.getJob(one);
        return job?.status === "failed" && (job.errorCount ?? 0) >= 2;
      },
      { what: "the retried job ran and failed again" },
    );
    const before = (await queue.counts()).failed;
    const all = await post("/retry-all");
    expect(all.status).toBe(303);
    expect(all.headers.location).toContain(`done=retried-all&n=${before}`);

    await waitFor(async () => (await queue.counts()).failed >= before, { what: "failed again" });
    expect((await post("/purge", { state: "failed" })).status).toBe(303);
    expect((await queue.counts()).failed).toBe(0);
    expect((await post("/purge", { state: "completed" })).status).toBe(303);
    expect((await queue.counts()).completed).toBe(0);
  });

  test("flow control: the queue page shows the limits; Cancel on a running job fails it CANCELLED", async () => {
    const browser = served.browser();
    expect((await browser.get(`/queues/${name}`)).body).toContain("Flow control: none");
    await queue.setRateLimit({ max: 100, durationMs: 1_000 });
    await queue.setConcurrency(20);
    expect((await browser.get(`/queues/${name}`)).body).toContain(
      "Flow control: at most 100 starts per 1000 ms; at most 20 active at once",
    );
    await queue.setRateLimit(null);
    await queue.setConcurrency(null);
    await queue.setGroupConcurrency(2, { rateLimit: { max: 5, durationMs: 1_000 } });
    await queue.pause();
    const waiting = await queue.enqueueMany([
      { task: "wait", opts: { group: "tenant-1" } },
      { task: "wait", opts: { group: "tenant-1" } },
      { task: "wait", opts: { group: "tenant-2" } },
    ]);
    const grouped = (await browser.get(`/queues/${name}`)).body;
    expect(grouped).toContain(
      "Flow control: at most 2 active at once per group; at most 5 starts per 1000 ms per group",
    );
    expect(grouped).toMatch(/<tr data-group="tenant-1"><td>tenant-1<\/td><td>2<\/td><td>0<\/td><\/tr>/);
    expect(grouped).toMatch(/<tr data-group="tenant-2"><td>tenant-2<\/td><td>1<\/td><td>0<\/td><\/tr>/);
    await queue.setGroupConcurrency(null, { rateLimit: null });
    for (const job of waiting) await queue.cancel(job.id);
    await queue.resume();

    const running = await queue.enqueue("wait", [], { maxRetries: 3 });
    await waitFor(async () => (await queue.getJob(running.id))?.status === "active", {
      what: "the job running",
    });
    const page = await browser.get(`/queues/${name}?state=active`);
    expect(page.body).toContain(`data-job="${running.id}"`);
    expect(page.body).toMatch(/data-action="Cancel"/);
    const csrf = await browser.csrf(`/queues/${name}`);
    const cancelled = await browser.post(`/queues/${name}/job/cancel`, { _csrf: csrf, id: running.id });
    expect(cancelled.status).toBe(303);
    const job = await waitFor(async () => {
      const j = await queue.getJob(running.id);
      return j?.status === "failed" ? j : null;
    });
    expect(job.error?.code).toBe("CANCELLED");
    expect(job.attempts).toBe(1);
  });

  test("same-origin check and CSRF token: a forged post changes nothing", async () => {
    const browser = served.browser();
    const csrf = await browser.csrf(`/queues/${name}`);
    const target = `/queues/${name}/pause`;
    const refused = [
      await browser.post(target, { _csrf: csrf }, { origin: "http://evil.example" }),
      await browser.post(target, { _csrf: "forged" }),
      await browser.post(target, {}),
      // neither Origin nor Referer
      await served.request(target, {
        form: { _csrf: csrf },
        headers: { cookie: [...browser.cookies].map(([k, v]) => `${k}=${v}`).join("; ") },
      }),
      // another browser's token
      await served.browser().post(target, { _csrf: csrf }),
    ];
    expect(refused.map((r) => r.status)).toEqual([403, 403, 403, 403, 403]);
    expect(await queue.isPaused()).toBe(false);
    const referer = await browser.post(
      target,
      { _csrf: csrf },
      { origin: "", referer: `${served.origin}/queues/${name}` },
    );
    expect(referer.status).toBe(303);
    expect(await queue.isPaused()).toBe(true);
    await queue.resume();
  });

  test("a body over 16 KiB is refused with 413, announced by Content-Length or sent chunked", async () => {
    const browser = served.browser();
    const csrf = await browser.csrf(`/queues/${name}`);
    const big = { _csrf: csrf, pad: "x".repeat(20_000) };
    expect((await browser.post(`/queues/${name}/pause`, big)).status).toBe(413);
    const chunked = await new Promise<number>((resolve, reject) => {
      const req = httpRequest(`${served.origin}/queues/${name}/pause`, {
        method: "POST",
        headers: {
          "content-type": "application/x-www-form-urlencoded",
          "transfer-encoding": "chunked",
          origin: served.origin,
          cookie: [...browser.cookies].map(([k, v]) => `${k}=${v}`).join("; "),
        },
      });
      req.on("response", (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on("error", reject);
      for (let i = 0; i < 20; i++) req.write(`pad${i}=${"y".repeat(1_000)}&`);
      req.end(`_csrf=${encodeURIComponent(csrf)}`);
    });
    expect(chunked).toBe(413);
    expect(await queue.isPaused()).toBe(false);
  });

  test("the event stream sends a queue's new counts when a job completes", async () => {
    const stream = await openStream(served.origin, `/live?queue=${name}`);
    try {
      const first = await stream.next((m) => m.queue === name);
      const completed = first.counts.completed;
      const job = await queue.enqueue("ok", [5]);
      await queue.waitForResult(job.id, { timeoutMs: 20_000 });
      const later = await stream.next((m) => m.counts.completed > completed);
      expect(later.queue).toBe(name);
      expect(later.completed.reduce((a: number, b: number) => a + b, 0)).toBeGreaterThan(0);
    } finally {
      stream.close();
    }
  });

  test("Host header must be a loopback name with auth none (DNS rebinding)", async () => {
    const evil = await served.request("/", { headers: { host: "evil.example:7070" } });
    expect(evil.status).toBe(403);
    expect(errorText(evil.body)).toMatch(/loopback name/);
    const localhost = await served.request("/", {
      headers: {
        host: `localhost:${served.server.address() && (served.server.address() as { port: number }).port}`,
      },
    });
    expect(localhost.status).toBe(200);
  });
});

const external = Object.values(networkInterfaces())
  .flat()
  .find((i) => i && i.family === "IPv4" && !i.internal)?.address;

describe.skipIf(!external)("auth none from another machine's address", () => {
  test("a request whose remote address is not loopback is refused", async () => {
    // listening on the machine's own non-loopback address: the request comes from that address, not 127.0.0.1
    const served = await serve({ connection: url, prefix: uniquePrefix(), auth: "none" }, external);
    try {
      const reply = await served.request("/", { headers: { host: "127.0.0.1" } });
      expect(reply.status).toBe(403);
      expect(errorText(reply.body)).toMatch(/answers only on this machine/);
    } finally {
      await served.close();
    }
  });
});

describe("token auth", () => {
  const prefix = uniquePrefix();
  const name = uniqueQueue("token");
  let served: Served;
  let queue: Queue;
  beforeAll(async () => {
    queue = new Queue(name, { connection: url, prefix, logger: quiet });
    await queue.enqueue("ok", [1]);
    served = await serve({
      connection: `${url.replace("redis://", "redis://:hunter2-secret@")}`,
      prefix,
      auth: { token: TOKEN },
    });
  });
  afterAll(async () => {
    await served.close();
    await queue.close();
  });

  test("no login: 401 with the login form; wrong token 401; right token: a signed HttpOnly SameSite=Strict cookie", async () => {
    const anonymous = await served.request("/");
    expect(anonymous.status).toBe(401);
    expect(anonymous.body).toContain('action="/login"');
    expect((await served.request(`/queues/${name}`)).status).toBe(401);
    expect((await served.request("/live")).status).toBe(401);

    const browser = served.browser();
    const wrong = await browser.post("/login", { token: "not-the-token-at-all" });
    expect(wrong.status).toBe(401);
    expect(wrong.body).toContain("not the dashboard&#39;s token");
    const right = await browser.post("/login", { token: TOKEN });
    expect(right.status).toBe(303);
    const cookie = (right.headers["set-cookie"] ?? []).find((c) => c.startsWith("tq_session="));
    expect(cookie).toMatch(/HttpOnly/);
    expect(cookie).toMatch(/SameSite=Strict/);
    expect(cookie).not.toContain(TOKEN);
    const page = await browser.get(`/queues/${name}`);
    expect(page.status).toBe(200);
    expect(page.body).not.toContain(TOKEN);
    expect(page.body).not.toContain("hunter2");

    // a tampered cookie is no login
    const session = browser.cookies.get("tq_session") ?? "";
    const [expires, signature] = session.split(".");
    browser.cookies.set("tq_session", `${Number(expires) + 1_000_000}.${signature}`);
    expect((await browser.get("/")).status).toBe(401);

    // the login form posted from another site is refused
    expect(
      (await served.browser().post("/login", { token: TOKEN }, { origin: "http://evil.example" })).status,
    ).toBe(403);
  });

  test("Authorization: Bearer works for scripts, a wrong one is 401", async () => {
    expect((await served.request("/", { headers: { authorization: `Bearer ${TOKEN}` } })).status).toBe(200);
    expect((await served.request("/", { headers: { authorization: "Bearer wrong-token" } })).status).toBe(
      401,
    );
    const paused = await served.request(`/queues/${name}/pause`, {
      method: "POST",
      headers: { authorization: `Bearer ${TOKEN}` },
    });
    expect(paused.status).toBe(303);
    expect(await queue.isPaused()).toBe(true);
  });

  test("Redis unreachable: a 503 page that does not show the URL or its password", async () => {
    const down = await serve({
      connection: "redis://:hunter2-secret@127.0.0.1:1",
      prefix,
      auth: { token: TOKEN },
    });
    try {
      const reply = await down.request("/", { headers: { authorization: `Bearer ${TOKEN}` } });
      expect(reply.status).toBe(503);
      expect(reply.body).not.toContain("hunter2");
      expect(reply.body).not.toContain("127.0.0.1:1");
    } finally {
      await down.close();
    }
  });
});

describe("basic auth and read-only", () => {
  const prefix = uniquePrefix();
  const name = uniqueQueue("basic");
  let served: Served;
  let queue: Queue;
  const basic = (user: string, password: string) => ({
    authorization: `Basic ${Buffer.from(`${user}:${password}`).toString("base64")}`,
  });
  beforeAll(async () => {
    queue = new Queue(name, { connection: url, prefix, logger: quiet });
    const job = await queue.enqueue("ok", [1], { jobId: "ro-1" });
    expect(job.created).toBe(true);
    served = await serve({
      connection: url,
      prefix,
      readOnly: true,
      basePath: "/admin/tq",
      auth: { username: "ops", password: "s3cret-pass" },
    });
  });
  afterAll(async () => {
    await served.close();
    await queue.close();
  });

  test("basic auth: 401 with a challenge, wrong password 401, right one 200", async () => {
    const none = await served.request("/admin/tq/");
    expect(none.status).toBe(401);
    expect(none.headers["www-authenticate"]).toMatch(/^Basic realm=/);
    expect((await served.request("/admin/tq/", { headers: basic("ops", "wrong") })).status).toBe(401);
    const ok = await served.request("/admin/tq/", { headers: basic("ops", "s3cret-pass") });
    expect(ok.status).toBe(200);
    expect(ok.body).toContain(`href="/admin/tq/queues/${name}"`);
    expect(ok.body).toContain('src="/admin/tq/assets/dashboard.js"');
    expect((await served.request("/elsewhere", { headers: basic("ops", "s3cret-pass") })).status).toBe(404);
  });

  test("read-only: no action on any page, every action post is 403 and changes nothing", async () => {
    const headers = basic("ops", "s3cret-pass");
    for (const path of [
      `/queues/${name}`,
      `/queues/${name}?state=pending`,
      `/queues/${name}/job?id=ro-1`,
      "/",
    ]) {
      const page = await served.request(`/admin/tq${path}`, { headers });
      expect(page.status, path).toBe(200);
      expect(page.body, path).not.toMatch(/method="post"/);
      expect(page.body, path).toContain("read-only");
    }
    const csrfPage = await served.request(`/admin/tq/queues/${name}`, { headers });
    expect(csrfPage.body).not.toContain("_csrf");
    for (const action of ["/pause", "/retry-all", "/job/cancel"]) {
      const reply = await served.request(`/admin/tq/queues/${name}${action}`, {
        form: { id: "ro-1" },
        headers: { ...headers, origin: served.origin },
      });
      expect(reply.status, action).toBe(403);
      expect(errorText(reply.body)).toMatch(/read-only/);
    }
    expect(await queue.isPaused()).toBe(false);
    expect((await queue.getJob("ro-1"))?.status).toBe("pending");
  });
});

describe("a state with 20,000 jobs", () => {
  const prefix = uniquePrefix();
  const name = uniqueQueue("big");
  let served: Served;
  let queue: Queue;
  beforeAll(async () => {
    queue = new Queue(name, { connection: url, prefix, logger: quiet });
    for (let batch = 0; batch < 20; batch++) {
      await queue.enqueueMany(
        Array.from({ length: 1_000 }, (_, i) => ({
          task: "bulk",
          args: [batch * 1_000 + i],
          opts: { jobId: `bulk-${batch * 1_000 + i}` },
        })),
      );
    }
    served = await serve({ connection: url, prefix, auth: "none" });
  });
  afterAll(async () => {
    await served.close();
    await queue.close();
  });

  test("first, next, last and prev pages, each with its 50 jobs in run order", async () => {
    const first = await served.request(`/queues/${name}?state=pending`);
    expect(first.status).toBe(200);
    expect(first.body).toContain("page 1 of 400");
    expect(first.body).toContain('data-job="bulk-0"');
    expect(first.body).toContain(`href="/queues/${name}?state=pending&amp;page=400" rel="last"`);
    const last = await served.request(`/queues/${name}?state=pending&page=400`);
    expect(last.status).toBe(200);
    expect(last.body).toContain("page 400 of 400");
    expect(last.body.match(/data-job="/g)).toHaveLength(50);
    expect(last.body).toContain('data-job="bulk-19999"');
    expect(last.body).toContain('data-job="bulk-19950"');
    expect(last.body).toContain(`href="/queues/${name}?state=pending&amp;page=399" rel="prev"`);
    const prev = await served.request(`/queues/${name}?state=pending&page=399`);
    expect(prev.body).toContain('data-job="bulk-19900"');
    expect((await served.request(`/queues/${name}?state=pending&page=401`)).status).toBe(404);
    expect(first.body).toContain("20,000");
  });
});

describe("close()", () => {
  test("ends open event streams and refuses requests after", async () => {
    const prefix = uniquePrefix();
    const queue = new Queue(uniqueQueue("close"), { connection: url, prefix, logger: quiet });
    await queue.enqueue("ok", [1]);
    const served = await serve({ connection: url, prefix, auth: "none" });
    const stream = await openStream(served.origin, "/live");
    await stream.next(() => true);
    await served.dashboard.close();
    await stream.ended;
    expect((await served.request("/")).status).toBe(503);
    await served.close();
    await queue.close();
  });

  test("createDashboard refuses unsafe options with VALIDATION", () => {
    expect(() => createDashboard({ auth: { token: "short" } })).toThrow(/at least 16 characters/);
    expect(() => createDashboard({ auth: undefined as never })).toThrow(/auth is required/);
    expect(() => createDashboard({ auth: "none", basePath: "admin" })).toThrow(/basePath/);
  });
});

// biome-ignore lint/suspicious/noExplicitAny: a live message is JSON
type LiveMessage = any;

/** Opens an event stream and hands out its `stats` messages. */
function openStream(origin: string, path: string) {
  return new Promise<{
    next: (match: (m: LiveMessage) => boolean) => Promise<LiveMessage>;
    close: () => void;
    ended: Promise<void>;
  }>((resolve, reject) => {
    const messages: LiveMessage[] = [];
    const notify: () => void = () => {};
    let endedResolve: () => void = () => {};
    const ended = new Promise<void>((r) => {
      endedResolve = r;
    });
    const req = httpRequest(`${origin}${path}`, (res) => {
      if (res.statusCode !== 200) return reject(new Error(`stream: HTTP ${res.statusCode}`));
      expect(res.headers["content-type"]).toMatch(/text\/event-stream/);
      let buffer = "";
      res.setEncoding("utf8");
      res.on("data", (chunk: string) => {
        buffer += chunk;
        let end = buffer.indexOf("\n\n");
        while (end >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          if (/^event: stats$/m.test(block)) {
            const data = block
              .split("\n")
              .filter((l) => l.startsWith("data: "))
              .map((l) => l.slice(6))
              .join("\n");
            messages.push(JSON.parse(data));
            notify();
          }
          end = buffer.indexOf("\n\n");
        }
      });
      res.on("end", () => endedResolve());
      res.on("close", () => endedResolve());
      resolve({
        next: (match) =>
          waitFor(
            () => {
              const i = messages.findIndex(match);
              return i >= 0 ? messages.splice(0, i + 1)[i] : undefined;
            },
            { timeoutMs: 30_000, what: "a live message" },
          ),
        close: () => req.destroy(),
        ended,
      });
    });
    req.on("error", (e) => (messages.length ? undefined : reject(e)));
    req.end();
  });
}

void send;
