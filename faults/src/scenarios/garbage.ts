import type { JobInfo } from "@tq/client";
import { analyse, resumedAfter, type Scenario } from "@tq/harness";
import { check, type FaultScenario } from "../result.js";
import { runScenario, workJob } from "../run-scenario.js";

const meta = {
  id: "garbage",
  title: "Garbage written straight into Redis",
  fault:
    "records written into the queue's keys by something other than tq: invalid JSON, an unknown schema version, an unknown task, a 600 KiB payload, an id with no record, a record without its envelope, job keys of the wrong type (pending, scheduled, active)",
};

type RecordFields = Record<string, string>;

/** One piece of garbage and how the worker must end it. */
interface Garbage {
  id: string;
  what: string;
  code: string;
  message: RegExp;
}

const OVERSIZED = JSON.stringify(["x".repeat(600 * 1024)]);

/**
 * Writes a job the way tq would (scheduled an hour ahead), rewrites some of its fields, then makes it pending, so
 * the garbage sits in a record that is otherwise exactly what the running version of tq writes.
 */
async function corrupt(
  lab: Scenario,
  id: string,
  rewrite: (record: RecordFields) => RecordFields,
): Promise<void> {
  const k = lab.keys;
  await lab.queue.enqueue("work", { ms: 1 }, { jobId: id, delayMs: 3_600_000 });
  const record = (await lab.admin.hGetAll(k.job(id))) as RecordFields;
  await lab.admin
    .multi()
    .zRem(k.scheduled, id)
    .hSet(k.job(id), { ...rewrite(record), state: "pending" })
    .lPush(k.pending.normal, id)
    .exec();
}

/** A field of the stored envelope, in either record layout (one `data` JSON field, or one field per part). */
function envelopeField(record: RecordFields, part: "v" | "args", value: unknown): RecordFields {
  if (record.data !== undefined) {
    const envelope = JSON.parse(record.data) as Record<string, unknown>;
    return { data: JSON.stringify({ ...envelope, [part]: value }) };
  }
  return { [part]: part === "args" ? JSON.stringify(value) : String(value) };
}

async function inject(lab: Scenario): Promise<Garbage[]> {
  const k = lab.keys;
  const out: Garbage[] = [];
  const add = (what: string, code: string, message: RegExp) => {
    const id = `junk-${out.length}`;
    out.push({ id, what, code, message });
    return id;
  };

  let id = add("invalid JSON", "DECODE", /not valid JSON/);
  await corrupt(
    lab,
    id,
    (r): RecordFields => (r.data !== undefined ? { data: '{"v":1,"id":' } : { args: "[not json" }),
  );

  id = add("schema version 99", "DECODE", /schema version 99 is not supported/);
  await corrupt(lab, id, (r) => envelopeField(r, "v", 99));

  id = add("600 KiB payload (cap 512 KiB)", "DECODE", /over the \d+-byte cap/);
  await corrupt(
    lab,
    id,
    (r): RecordFields =>
      r.data !== undefined
        ? { data: JSON.stringify({ ...(JSON.parse(r.data) as object), args: ["x".repeat(600 * 1024)] }) }
        : { args: OVERSIZED },
  );

  id = add("unknown task", "UNKNOWN_TASK", /unknown task "no_such_task"/);
  await lab.queue.enqueue("no_such_task", [], { jobId: id });

  id = add("an id with no record", "DECODE", /no job record/);
  await lab.admin.lPush(k.pending.normal, id);

  id = add("a record without its envelope", "DECODE", /undecodable job record/);
  await lab.admin
    .multi()
    .hSet(k.job(id), { state: "pending", pri: "normal", maxr: "3", att: "0" })
    .lPush(k.pending.normal, id)
    .exec();

  id = add("a pending job whose key is not a hash", "DECODE", /held a string, not a hash/);
  await lab.admin.multi().set(k.job(id), "garbage").lPush(k.pending.normal, id).exec();

  id = add("a due scheduled job whose key is not a hash", "DECODE", /held a list, not a hash/);
  await lab.admin.multi().rPush(k.job(id), "garbage").zAdd(k.scheduled, { score: 1, value: id }).exec();

  id = add("an expired active job whose key is not a hash", "DECODE", /held a set, not a hash/);
  await lab.admin.multi().sAdd(k.job(id), "garbage").zAdd(k.active, { score: 1, value: id }).exec();
  return out;
}

async function readInfo(lab: Scenario, id: string): Promise<JobInfo | string | null> {
  try {
    return await lab.queue.getJob(id);
  } catch (error) {
    return (error as Error).message;
  }
}

/** Bad records fail at once with a clear reason, without retries; the workers keep going. */
export const garbage: FaultScenario = {
  id: meta.id,
  title: meta.title,
  run: () =>
    runScenario(meta, async (lab) => {
      const { pool, exits } = await lab.startPool({ concurrency: 4 });
      const stream = lab.producer.stream({ total: 1_500, perSecond: 500, make: (i) => workJob(i) });
      await lab.waitForStarts(300);
      const injectedAt = Date.now();
      const items = await inject(lab);
      await stream.done;
      const analysis = await analyse(lab);
      const checks = [];
      for (const item of items) {
        const info = await readInfo(lab, item.id);
        const error = typeof info === "object" && info !== null ? info.error : undefined;
        const ok =
          typeof info === "object" &&
          info !== null &&
          info.status === "failed" &&
          info.attempts <= 1 &&
          error?.code === item.code &&
          item.message.test(error.message);
        const seen =
          typeof info === "string"
            ? `getJob threw: ${info}`
            : info === null
              ? "no such job"
              : `${info.status} after ${info.attempts} run(s): ${error?.code} ${error?.message ?? ""}`;
        checks.push(check(`${item.what}: failed at once with ${item.code}`, ok, seen.slice(0, 300)));
      }
      const recoveryMs = resumedAfter(analysis.ledger, injectedAt, pool.pids);
      checks.push(
        check("no worker process died", exits.length === 0),
        check("every worker process kept consuming", recoveryMs !== undefined),
      );
      return {
        analysis,
        recoveryMs,
        recovery: "from writing the garbage until every worker process had started a job again",
        checks,
      };
    }),
};
