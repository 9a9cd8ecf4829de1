import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { waitFor } from "@tq/testing";
import { expect, inject, test } from "vitest";

const main = fileURLToPath(new URL("../dist/main.js", import.meta.url));

/** Starts the built demo with `env` and `args`, collecting its output. */
function startDemo(env: NodeJS.ProcessEnv, args: string[] = []) {
  const child = spawn(process.execPath, [main, ...args], {
    env: { ...process.env, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const output = { text: "" };
  child.stdout.on("data", (d) => {
    output.text += d;
  });
  child.stderr.on("data", (d) => {
    output.text += d;
  });
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  return { child, output, exited };
}

async function runDemo(env: NodeJS.ProcessEnv): Promise<{ code: number | null; out: string }> {
  const demo = startDemo(env);
  const code = await demo.exited;
  return { code, out: demo.output.text };
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
  const { child, output, exited } = startDemo(
    { REDIS_URL: inject("redisUrl"), TQ_DEMO_DASHBOARD_PORT: "0" },
    ["--keep"],
  );
  try {
    await waitFor(() => output.text.includes("Dashboard still up at"), {
      timeoutMs: 90_000,
      what: "the kept dashboard",
    });
    const url = /Dashboard still up at (\S+):/.exec(output.text)?.[1] ?? "";
    const page = await fetch(url);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('data-queue="tasks"');
    child.kill("SIGINT");
    expect(await exited, output.text).toBe(0);
    await expect(fetch(url)).rejects.toThrow();
  } finally {
    child.kill("SIGKILL");
  }
}, 120_000);
