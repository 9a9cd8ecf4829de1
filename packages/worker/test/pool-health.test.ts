import { signal, waitFor } from "@tq/testing";
import { afterEach, describe, expect, test } from "vitest";
import { setupPool } from "./pool-helpers.js";

const cleanup: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  while (cleanup.length) await cleanup.pop()?.();
});

async function healthz(port: number): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(`http://127.0.0.1:${port}/healthz`);
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

describe("WorkerPool /healthz", () => {
  test("200 while every child consumes; 503 naming a child that stopped, 200 again once it is back", async () => {
    const { pool } = setupPool("health", cleanup, { processes: 2, healthPort: 0, leaseMs: 60_000 });
    await pool.start();
    const port = pool.healthPort as number;
    expect(port).toBeGreaterThan(0);
    expect(await healthz(port)).toEqual({ status: 200, body: { ok: true, children: 2 } });

    const [stopped] = pool.pids as [number];
    signal(stopped, "SIGSTOP");
    cleanup.push(async () => signal(stopped, "SIGCONT"));
    const failing = await waitFor(async () => {
      const reply = await healthz(port);
      return reply.status === 503 ? reply : null;
    });
    expect(failing.body).toMatchObject({ ok: false, children: [{ pid: stopped }] });
    expect((failing.body.children as unknown[]).length).toBe(1);

    signal(stopped, "SIGCONT");
    await waitFor(async () => (await healthz(port)).status === 200);
    expect((await fetch(`http://127.0.0.1:${port}/metrics`)).status).toBe(404);

    await pool.close();
    await expect(fetch(`http://127.0.0.1:${port}/healthz`)).rejects.toThrow();
  });
});
