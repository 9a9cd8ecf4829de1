import { spawn } from "node:child_process";
import { Queue } from "@tq/client";
import { freePort, uniquePrefix, uniqueQueue, waitFor } from "@tq/testing";
import { describe, expect, inject, test } from "vitest";
import { BIN, tq } from "./tq.js";

const url = inject("redisUrl");
const TOKEN = "cli-dashboard-token-0123456789";

/** Starts `tq dashboard ...args` and collects its output. */
function start(args: string[], env: Record<string, string>) {
  const { REDIS_URL: _url, TQ_PREFIX: _prefix, TQ_DASHBOARD_TOKEN: _token, ...rest } = process.env;
  const child = spawn(process.execPath, [BIN, "dashboard", ...args], {
    env: { ...rest, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const out = { stdout: "", stderr: "" };
  child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
    out.stdout += chunk;
  });
  child.stderr.setEncoding("utf8").on("data", (chunk: string) => {
    out.stderr += chunk;
  });
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  return { child, out, exited };
}

describe("tq dashboard", () => {
  test("a non-loopback host without a token is a usage error, in one line", async () => {
    const run = await tq(["dashboard", "--host", "0.0.0.0"], { REDIS_URL: url });
    expect(run.code).toBe(2);
    expect(run.stderr.trim().split("\n")).toHaveLength(1);
    expect(run.stderr).toMatch(/not a loopback address: give a token/);
    const short = await tq(["dashboard", "--token", "short"], { REDIS_URL: url });
    expect(short.code).toBe(2);
    expect(short.stderr).not.toContain("short");
  });

  test("TQ_DASHBOARD_HOST, TQ_DASHBOARD_PORT and TQ_DASHBOARD_READ_ONLY stand in for the flags", async () => {
    const open = await tq(["dashboard"], { REDIS_URL: url, TQ_DASHBOARD_HOST: "0.0.0.0" });
    expect(open.code).toBe(2);
    expect(open.stderr).toMatch(/TQ_DASHBOARD_HOST 0\.0\.0\.0 is not a loopback address: give a token/);
    const badPort = await tq(["dashboard"], { REDIS_URL: url, TQ_DASHBOARD_PORT: "70000" });
    expect(badPort.code).toBe(2);
    expect(badPort.stderr).toMatch(/TQ_DASHBOARD_PORT must be a whole number from 0 to 65535/);
    const badFlag = await tq(["dashboard"], { REDIS_URL: url, TQ_DASHBOARD_READ_ONLY: "maybe" });
    expect(badFlag.code).toBe(2);
    expect(badFlag.stderr).toMatch(/TQ_DASHBOARD_READ_ONLY must be/);

    const port = await freePort();
    const dashboard = start([], {
      REDIS_URL: url,
      TQ_PREFIX: uniquePrefix(),
      TQ_DASHBOARD_HOST: "127.0.0.1",
      TQ_DASHBOARD_PORT: String(port),
      TQ_DASHBOARD_READ_ONLY: "1",
    });
    try {
      await waitFor(() => dashboard.out.stdout.includes("http://"), { timeoutMs: 30_000, what: "the URL" });
      expect(dashboard.out.stdout).toContain(`http://127.0.0.1:${port}/`);
      expect(dashboard.out.stdout).toContain("read-only");
      expect((await fetch(`http://127.0.0.1:${port}/`)).status).toBe(200);
      dashboard.child.kill("SIGTERM");
      expect(await dashboard.exited).toBe(0);
    } finally {
      dashboard.child.kill("SIGKILL");
    }
  });

  test("serves the dashboard, prints its URL, and stops cleanly on SIGTERM", async () => {
    const prefix = uniquePrefix();
    const name = uniqueQueue("dash");
    const queue = new Queue(name, { connection: url, prefix });
    await queue.enqueue("ok", [1]);
    const port = await freePort();
    const dashboard = start(["--port", String(port)], { REDIS_URL: url, TQ_PREFIX: prefix });
    try {
      await waitFor(() => dashboard.out.stdout.includes("http://"), { timeoutMs: 30_000, what: "the URL" });
      expect(dashboard.out.stdout).toContain(`http://127.0.0.1:${port}/`);
      const page = await fetch(`http://127.0.0.1:${port}/`);
      expect(page.status).toBe(200);
      expect(await page.text()).toContain(`data-queue="${name}"`);
      dashboard.child.kill("SIGTERM");
      expect(await dashboard.exited).toBe(0);
      expect(dashboard.out.stdout).toContain("tq dashboard stopped");
      expect(dashboard.out.stderr).toBe("");
    } finally {
      dashboard.child.kill("SIGKILL");
      await queue.close();
    }
  });

  test("--token (or TQ_DASHBOARD_TOKEN) requires a login and never prints the token", async () => {
    const port = await freePort();
    const dashboard = start(["--port", String(port), "--read-only"], {
      REDIS_URL: url,
      TQ_PREFIX: uniquePrefix(),
      TQ_DASHBOARD_TOKEN: TOKEN,
    });
    try {
      await waitFor(() => dashboard.out.stdout.includes("http://"), { timeoutMs: 30_000, what: "the URL" });
      expect(dashboard.out.stdout).toContain("read-only");
      expect((await fetch(`http://127.0.0.1:${port}/`)).status).toBe(401);
      const ok = await fetch(`http://127.0.0.1:${port}/`, { headers: { authorization: `Bearer ${TOKEN}` } });
      expect(ok.status).toBe(200);
      expect(await ok.text()).not.toContain(TOKEN);
      dashboard.child.kill("SIGINT");
      expect(await dashboard.exited).toBe(0);
      expect(dashboard.out.stdout + dashboard.out.stderr).not.toContain(TOKEN);
    } finally {
      dashboard.child.kill("SIGKILL");
    }
  });
});
