import { isTqError } from "@tq/client";
import { analyse, resumedAfter, type Scenario } from "@tq/harness";
import { sleep, waitFor } from "@tq/testing";
import { check, type FaultScenario } from "../result.js";
import { runScenario } from "../run-scenario.js";

const meta = {
  id: "maxmemory",
  title: "Redis at maxmemory (noeviction)",
  fault: "CONFIG SET maxmemory a little above used_memory (noeviction) under load, raised again after 1.5 s",
};

/** A job of about 1 KiB. */
const padded = (i: number) => ({ task: "work", args: { ms: 5, pad: "x".repeat(1_000 + (i % 7)) } });

async function usedMemory(lab: Scenario): Promise<number> {
  const info = await lab.admin.info("memory");
  return Number(/used_memory:(\d+)/.exec(info)?.[1] ?? 0);
}

/** Where each job id is, in one snapshot: its record's state and the structures that hold it. */
async function snapshot(lab: Scenario, ids: readonly string[]) {
  const k = lab.keys;
  const [high, normal, low, scheduled, active, completed, failed] = await Promise.all([
    lab.admin.lRange(k.pending.high, 0, -1),
    lab.admin.lRange(k.pending.normal, 0, -1),
    lab.admin.lRange(k.pending.low, 0, -1),
    lab.admin.zRange(k.scheduled, 0, -1),
    lab.admin.zRange(k.active, 0, -1),
    lab.admin.zRange(k.completed, 0, -1),
    lab.admin.zRange(k.failed, 0, -1),
  ]);
  const where = new Map<string, string[]>();
  const add = (name: string, members: string[]) => {
    for (const id of members) where.set(id, [...(where.get(id) ?? []), name]);
  };
  add("pending", [...high, ...normal, ...low]);
  add("scheduled", scheduled);
  add("active", active);
  add("completed", completed);
  add("failed", failed);
  const records = await Promise.all(ids.map((id) => lab.admin.hGetAll(k.job(id))));
  return ids.map((id, i) => ({ id, record: records[i] ?? {}, where: where.get(id) ?? [] }));
}

/**
 * Redis refuses writes at maxmemory: producers get a REDIS error naming OOM, nothing is half-applied (each job is
 * stored whole or not at all), and once memory is raised everything proceeds.
 */
export const maxmemory: FaultScenario = {
  id: meta.id,
  title: meta.title,
  run: () =>
    runScenario(meta, async (lab) => {
      const { pool } = await lab.startPool();
      await lab.producer.many(Array.from({ length: 300 }, (_, i) => padded(i)));
      await waitFor(async () => (await lab.counts())?.completed === 300, {
        what: "the first jobs to complete",
        timeoutMs: 60_000,
      });
      await lab.admin.configSet("maxmemory-policy", "noeviction");
      // Room for a few hundred small jobs, not for half a megabyte of big ones: in a batch of 400 small jobs followed
      // by 600 big ones, the small ones fit and the big ones do not (1,000 jobs: the most one enqueueMany takes).
      await lab.admin.configSet("maxmemory", String((await usedMemory(lab)) + 300_000));
      const batch = await lab.producer.many(
        Array.from({ length: 1_000 }, (_, i) => (i < 400 ? { task: "work", args: { ms: 5 } } : padded(i))),
      );
      const stream = lab.producer.stream({ total: 5_000, perSecond: 1_000, make: padded, retry: false });
      await waitFor(() => lab.producer.refused.size >= 1_000 + 50, {
        what: "enqueues to be refused",
        timeoutMs: 30_000,
      }).catch(() => {});
      stream.stop();
      await stream.done;
      await sleep(1_500);

      // While Redis refuses writes nothing moves, so one snapshot shows every job where it is.
      const refusedIds = [...lab.producer.refused.keys()];
      const ackedIds = [...lab.producer.acked.keys()];
      const refusedSeen = await snapshot(lab, refusedIds);
      const ackedSeen = await snapshot(lab, ackedIds);
      const errors = [...lab.producer.refused.values()];
      const clear = errors.filter((e) => isTqError(e) && e.code === "REDIS" && /OOM/.test(e.message));
      const halfRefused = refusedSeen.filter((s) => Object.keys(s.record).length > 0 || s.where.length > 0);
      const incomplete = ackedSeen.filter((s) => {
        const state = s.record.state;
        const whole = state !== undefined && ("task" in s.record || "data" in s.record);
        const expected =
          state === "pending" ||
          state === "scheduled" ||
          state === "active" ||
          state === "completed" ||
          state === "failed"
            ? [state]
            : [];
        return !whole || s.where.join(",") !== expected.join(",");
      });
      const batchStored = batch.ids.filter(
        (id) =>
          lab.producer.acked.has(id) ||
          refusedSeen.find((s) => s.id === id && Object.keys(s.record).length > 0),
      ).length;

      await lab.admin.configSet("maxmemory", "0");
      const raisedAt = Date.now();
      for (const id of refusedIds) {
        const spec = lab.producer.specs.get(id);
        if (spec) void lab.producer.one(id, spec, true);
      }
      await waitFor(() => lab.producer.refused.size === 0, {
        what: "every refused job to be enqueued again",
        timeoutMs: 60_000,
      });
      // Fresh work for a few seconds, so that a worker still backing off from the refusals shows when it resumes.
      await lab.producer.stream({ total: 1_500, perSecond: 500, make: padded }).done;
      const analysis = await analyse(lab);
      const recoveryMs = resumedAfter(analysis.ledger, raisedAt, pool.pids);
      const sample = errors[0] as Error | undefined;
      return {
        analysis,
        recoveryMs,
        recovery: "from raising maxmemory until every worker process had started a job again",
        faultEnd: raisedAt,
        checks: [
          check("enqueues were refused at maxmemory", refusedIds.length > 0, `${refusedIds.length} refused`),
          check(
            "every refusal was a TqError REDIS naming OOM",
            clear.length === errors.length,
            `${clear.length} of ${errors.length}; e.g. ${sample?.message ?? "—"}`,
          ),
          check(
            "no refused job left anything in Redis",
            halfRefused.length === 0,
            halfRefused
              .slice(0, 3)
              .map((s) => `${s.id}: ${JSON.stringify(s.record).slice(0, 80)} in ${s.where.join(",")}`)
              .join("; "),
          ),
          check(
            "every acknowledged job was stored whole, in the structure its state names",
            incomplete.length === 0,
            incomplete
              .slice(0, 3)
              .map((s) => `${s.id}: ${s.record.state} in ${s.where.join(",")}`)
              .join("; "),
          ),
          check(
            "an enqueueMany of 1,000 jobs (400 small, then 600 of 1 KiB) stored all or none of them",
            batchStored === 0 || batchStored === batch.ids.length,
            `${batchStored} of ${batch.ids.length} stored; call ${batch.error ? "rejected" : "resolved"}`,
          ),
          check("every worker process consumed after maxmemory was raised", recoveryMs !== undefined),
        ],
        notes: [
          `${refusedIds.length} enqueue(s) refused with OOM and enqueued again after maxmemory was raised; e.g. "${sample?.message ?? "—"}"`,
          `the 1,000-job enqueueMany: ${batchStored} stored, call ${batch.error ? "rejected" : "resolved"}`,
        ],
      };
    }),
};
