import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { waitFor } from "@tq/testing";
import { expect, inject, test } from "vitest";

const main = fileURLToPath(new URL("../dist/main.js", import.meta.url));

function runDemo(env: NodeJS.ProcessEnv): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [main], {
      env: { ...process.env, ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    child.stdout.on("data", (d) => {
      out += d;
    });
    child.stderr.on("data", (d) => {
      out += d;
    });
    child.on("exit", (code) => resolve({ code, out }));
  });
}

test("the demo runs producer, worker pool and scheduler, and every job reaches its expected state", async () => {
  const { code, out } = await runDemo({ REDIS_URL: inject("redisUrl"), TQ_DEMO_DASHBOARD_PORT: "0" });
  expect(out, out).toContain("Demo finished: every job reached its expected state.");
  expect(out).toMatch(/Dashboard: http:\/\/127\.0\.0\.1:\d+\//);
  expect(code, out).toBe(0);
  const enqueued = [...out.matchAll(/Enqueued job: (\S+) \((\S+)\)/g)].map((m) => m[2]);
  expect(enqueued).toEqual(["send_email", "resize_image", "generate_report", "send_email", "resize_image"]);
  for (const [, id] of out.matchAll(/Enqueued job: (\S+) \(/g)) {
    expect(out).toMatch(new RegExp(`(completed|failed) .*${id}`));
  }
  expect(out).toMatch(/retrying .*flaky@example\.com.*SMTP timeout/);
  expect(out).toMatch(/failed .*missing\.jpg.*no such file/);
  expect(out).toMatch(/completed .*"user@example\.com","Delayed welcome"/);
  expect(out).toContain("Worker pool stopped.");
});

test("with no Redis and no redis-server it says how to install one, in one line", async () => {
  const { code, out } = await runDemo({ REDIS_URL: "redis://127.0.0.1:1", PATH: "/nonexistent" });
  expect(code).toBe(1);
  expect(out.trim().split("\n")).toHaveLength(1);
  expect(out).toContain("apt-get install -y redis-server");
});

test("--keep leaves the dashboard up after the jobs are done, until Ctrl-C", async () => {
  const child = spawn(process.execPath, [main, "--keep"], {
    env: { ...process.env, REDIS_URL: inject("redisUrl"), TQ_DEMO_DASHBOARD_PORT: "0" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  child.stdout.on("data", (d) => {
    out += d;
  });
  child.stderr.on("data", (d) => {
    out += d;
  });
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  try {
    await waitFor(() => out.includes("Dashboard still up at"), {
      timeoutMs: 90_000,
      what: "the kept dashboard",
    });
    const url = /Dashboard still up at (\S+):/.exec(out)?.[1] ?? "";
    const page = await fetch(url);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('data-queue="tasks"');
    child.kill("SIGINT");
    expect(await exited, out).toBe(0);
    await expect(fetch(url)).rejects.toThrow();
  } finally {
    child.kill("SIGKILL");
  }
}, 120_000);
