import { Queue } from "@tq/client";
import { uniquePrefix, uniqueQueue, waitFor } from "@tq/testing";
import { Worker } from "@tq/worker";
import type { Browser, Page } from "playwright-core";
import { chromium } from "playwright-core";
import { afterAll, beforeAll, describe, expect, inject, test } from "vitest";
import { type Served, serve } from "./serve.js";

const url = inject("redisUrl");
const browserPath = inject("chromium");
const missing = "missing" in browserPath ? browserPath.missing : undefined;
if (missing) console.warn(`browser tests skipped: ${missing}`);
const quiet = { debug() {}, info() {}, warn() {}, error() {} };

describe.skipIf(missing !== undefined)("in a real browser (headless chromium)", () => {
  const prefix = uniquePrefix();
  const name = uniqueQueue("browser");
  let served: Served;
  let readOnly: Served;
  let queue: Queue;
  let browser: Browser;
  let worker: Worker | undefined;
  let release: () => void = () => {};
  const gate = () =>
    new Promise<void>((resolve) => {
      release = resolve;
    });
  let failNext = true;

  /** A page that fails its test on any dialog (an alert from injected script would be one). */
  const open = async (path: string, on: Served = served): Promise<Page> => {
    const page = await browser.newPage();
    page.on("console", (message) => {
      if (/Content Security Policy/i.test(message.text())) cspViolations.push(message.text());
    });
    page.on("dialog", (dialog) => {
      dialogs.push(dialog.message());
      void dialog.dismiss();
    });
    await page.goto(`${on.origin}${path}`);
    return page;
  };
  const dialogs: string[] = [];
  const cspViolations: string[] = [];

  beforeAll(async () => {
    queue = new Queue(name, { connection: url, prefix, logger: quiet });
    served = await serve({ connection: url, prefix, auth: "none" });
    readOnly = await serve({ connection: url, prefix, auth: "none", readOnly: true });
    browser = await chromium.launch({
      executablePath: (browserPath as { path: string }).path,
      args: ["--no-sandbox"],
    });
  });
  afterAll(async () => {
    release();
    await browser?.close();
    await worker?.close({ timeoutMs: 0 });
    await served?.close();
    await readOnly?.close();
    await queue?.close();
  });

  test("the overview's counts change live as a worker runs jobs (no reload)", async () => {
    let holding = gate();
    for (let i = 0; i < 3; i++) await queue.enqueue("work", [i], { jobId: `live-${i}` });
    const page = await open("/");
    const card = page.locator(`[data-queue="${name}"]`);
    await expect.poll(() => card.locator('[data-field="pending"]').textContent()).toBe("3");
    // the page's event stream is open (dashboard.js marks it; a string, evaluated in the page)
    await page.waitForFunction("document.documentElement.getAttribute('data-live') === 'open'");
    const navigations: string[] = [];
    page.on("framenavigated", (frame) => navigations.push(frame.url()));

    worker = new Worker(
      name,
      {
        work: async () => {
          await holding;
          return { ok: true };
        },
        flaky: async ([n]: [number]) => {
          if (failNext) throw new Error(`flaky failure number ${n}`);
          return { recovered: n };
        },
      },
      { connection: url, prefix, concurrency: 3, logger: quiet },
    );
    worker.on("error", () => {});
    await worker.start();
    await expect
      .poll(() => card.locator('[data-field="active"]').textContent(), { timeout: 30_000 })
      .toBe("3");
    await expect
      .poll(() => card.locator('[data-field="workers"]').textContent(), { timeout: 30_000 })
      .toBe("1");
    release();
    holding = Promise.resolve();
    await expect
      .poll(() => card.locator('[data-field="completed"]').textContent(), { timeout: 30_000 })
      .toBe("3");
    expect(await card.locator('[data-field="pending"]').textContent()).toBe("0");
    expect(navigations).toEqual([]);
    // the charts were drawn by uPlot from the served script
    expect(await card.locator(".uplot").count()).toBe(2);
    await page.close();
  });

  test("open a failed job, read its error, click retry, watch it complete", async () => {
    failNext = true;
    const job = await queue.enqueue("flaky", [7], { maxRetries: 0 });
    await waitFor(async () => (await queue.getJob(job.id))?.status === "failed", { what: "job failed" });
    const page = await open(`/queues/${name}?state=failed`);
    await page.locator(`tr[data-job="${job.id}"] a`).first().click();
    await page.waitForURL(/\/job\?id=/);
    expect(await page.locator(".run-error summary").first().textContent()).toContain(
      "flaky failure number 7",
    );
    expect(await page.locator(".run-error pre").first().textContent()).toContain("at ");
    failNext = false;
    await page.locator('button[data-action="Retry"]').click();
    await page.waitForURL(/done=retried/);
    expect(await page.locator(".notice").textContent()).toContain("pending again");
    await waitFor(async () => (await queue.getJob(job.id))?.status === "completed", {
      what: "job completed",
    });
    await page.reload();
    expect(await page.locator('dd[data-field="status"]').textContent()).toBe("completed");
    expect(await page.locator("pre.result").textContent()).toContain('"recovered": 7');
    await page.close();
  });

  test("pause and resume a queue", async () => {
    const page = await open(`/queues/${name}`);
    await page.locator('button[data-action="Pause"]').click();
    await page.waitForURL(/done=paused/);
    expect(await queue.isPaused()).toBe(true);
    expect(await page.locator('.queue-card [data-field="paused"]').textContent()).toBe("paused");
    await page.locator('button[data-action="Resume"]').click();
    await page.waitForURL(/done=resumed/);
    expect(await queue.isPaused()).toBe(false);
    expect(await page.locator('.queue-card [data-field="paused"]').textContent()).toBe("running");
    await page.close();
  });

  test("search a job by id", async () => {
    const page = await open(`/queues/${name}`);
    await page.locator('input[name="id"]').fill("live-1");
    await page.locator("form.search button").click();
    await page.waitForURL(/\/job\?id=live-1/);
    expect(await page.locator("h1").textContent()).toBe("Job live-1");
    await page.goto(`${served.origin}/queues/${name}`);
    await page.locator('input[name="id"]').fill("no-such-job");
    await page.locator("form.search button").click();
    expect(await page.locator(".error").textContent()).toContain('has no job "no-such-job"');
    await page.close();
  });

  test("read-only: no action buttons, and a forged POST from the page is refused", async () => {
    const page = await open(`/queues/${name}?state=completed`, readOnly);
    expect(await page.locator("button[data-action]").count()).toBe(0);
    expect(await page.locator('form[method="post"]').count()).toBe(0);
    const status = await page.evaluate(async (path) => {
      const response = await fetch(path, {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded" },
        body: "",
      });
      return response.status;
    }, `/queues/${name}/pause`);
    expect(status).toBe(403);
    expect(await queue.isPaused()).toBe(false);
    await page.close();
  });

  test("an XSS payload in args renders as text: no dialog, no injected element", async () => {
    const payload = '<img src=x onerror="alert(1)"><script>alert(2)</script>';
    const job = await queue.enqueue("unknown_task_for_xss", [payload], { jobId: "xss-1" });
    const page = await open(`/queues/${name}/job?id=${job.id}`);
    expect(await page.locator("pre.args").textContent()).toContain(JSON.stringify(payload));
    expect(await page.locator("main img").count()).toBe(0);
    expect(await page.locator("main script").count()).toBe(0);
    await waitFor(async () => (await queue.getJob(job.id))?.status === "failed", {
      what: "unknown task failed",
    });
    const list = await open(`/queues/${name}?state=failed`);
    await list.waitForLoadState("load");
    expect(await list.locator('tr[data-job="xss-1"]').count()).toBe(1);
    expect(await list.locator("main img").count()).toBe(0);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(dialogs).toEqual([]);
    // nothing the pages themselves do (uPlot's charts, the live script) is refused by the policy either
    expect(cspViolations).toEqual([]);
    await page.close();
    await list.close();
  });
});
