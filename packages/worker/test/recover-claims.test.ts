import { take } from "@tq/protocol";
import { describe, expect, inject, test } from "vitest";
import { recoverClaims } from "../src/redis-calls.js";
import { Harness, keysOf } from "./helpers.js";

const h = new Harness(inject("redisUrl"));

describe("recoverClaims (what a WorkerPool calls for a child that died)", () => {
  test("hands back the jobs claimed under a worker id that are not held, without counting the run", async () => {
    const queue = h.queue();
    const connection = await h.connection();
    const k = keysOf(queue);
    const claim = async (workerId: string, count: number) =>
      (await take(connection, k, { workerId, leaseMs: 600_000, claim: count, acks: [] })).claimed;
    const jobs = await queue.enqueueMany([1, 2, 3, 4].map((n) => ({ task: "t", args: [n] })));
    const dead = await claim("child-1", 3);
    const other = await claim("child-2", 1);
    expect(dead).toHaveLength(3);
    expect(await connection.send(["SCARD", k.claims("child-1")])).toBe(3);

    // the supervisor knows one of the dead child's runs (it fails that one itself): that one stays
    const known = dead[0]!;
    expect(await recoverClaims(connection, k, "child-1", [{ id: known.id, token: known.token }])).toBe(2);
    for (const run of dead.slice(1)) {
      expect(await queue.getJob(run.id)).toMatchObject({ status: "pending", attempts: 0 });
    }
    expect((await queue.getJob(known.id))?.status).toBe("active");
    // another worker's claim is never touched
    expect((await queue.getJob(other[0]!.id))?.status).toBe("active");
    expect(
      await recoverClaims(connection, k, "child-2", [{ id: other[0]!.id, token: other[0]!.token }]),
    ).toBe(0);
    expect((await queue.getJob(other[0]!.id))?.status).toBe("active");

    // the handed-back jobs are claimed again at once, as their first run
    const again = await claim("child-3", 10);
    expect(again.map((c) => c.id).sort()).toEqual(
      dead
        .slice(1)
        .map((c) => c.id)
        .sort(),
    );
    expect(again.every((c) => c.attempt === 1)).toBe(true);
    // once the supervisor no longer holds it, that run goes back too, and the dead worker leaves no key behind
    expect(await recoverClaims(connection, k, "child-1")).toBe(1);
    expect((await queue.getJob(known.id))?.status).toBe("pending");
    expect(await recoverClaims(connection, k, "child-1")).toBe(0);
    expect(await connection.send(["EXISTS", k.claims("child-1")])).toBe(0);
    expect(jobs).toHaveLength(4);
  });
});
