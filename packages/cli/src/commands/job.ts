import type { JobError, JobInfo } from "@tq/client";
import { quote } from "@tq/job-schema";
import { decodeEventEntry, MAX_EVENTS, parseXRead, queueKeys } from "@tq/protocol";
import { failure } from "../cli-error.js";
import { type CommonFlags, print, withSession } from "../command-kit.js";
import { brief, duration, fields, table, time } from "../format.js";
import type { CliIo } from "../io.js";
import type { Session } from "../session.js";

/** One moment of a job's life. */
export interface TimelineEntry {
  /** Epoch ms (Redis clock, except `created`: the producer's). */
  at: number;
  /** What happened: `created`, `due`, `started`, `finished`, or the event's type from the queue's stream. */
  what: string;
  /** From the stream (`event`) or from the job's record (`record`). */
  source: "record" | "event";
  detail?: string;
}

/** What `tq job --json` prints. */
export interface JobDetail {
  job: JobInfo & { stalls: number; workerId?: string; runAtMs?: number };
  timeline: TimelineEntry[];
  /** The failed runs' errors, oldest first (the newest 10 are kept on the record). */
  errors: JobError[];
}

/** The job's fields the `JobInfo` snapshot does not carry (yet): stalls, the worker of the latest claim, run-at. */
async function extraFields(session: Session, queue: string, id: string) {
  const k = queueKeys(queue, session.prefix);
  const [stalls, wid, runAt] = await session.send<Array<string | null>>(
    ["HMGET", k.job(id), "stalls", "wid", "runAt"],
    k.base,
  );
  return {
    stalls: Number(stalls ?? 0) || 0,
    workerId: wid ?? undefined,
    runAtMs: runAt ? Number(runAt) : undefined,
  };
}

/**
 * The job's entries in the queue's event stream: bounded by the stream's cap (about {@link MAX_EVENTS} entries),
 * so an old job may have none left. An entry names its jobs as space-separated ids.
 */
async function streamEvents(session: Session, queue: string, id: string): Promise<TimelineEntry[]> {
  const k = queueKeys(queue, session.prefix);
  const raw = await session.send<unknown>(
    ["XREVRANGE", k.events, "+", "-", "COUNT", String(MAX_EVENTS + 100)],
    k.base,
  );
  // an XRANGE reply is the entry list of one stream in an XREAD reply
  const entries = parseXRead([[k.events, raw]], k.events);
  const out: TimelineEntry[] = [];
  for (const entry of entries) {
    for (const event of decodeEventEntry(entry)) {
      if (event.jobId !== id) continue;
      const detail = [
        event.attempt !== undefined ? `run ${event.attempt}` : "",
        event.workerId !== undefined ? `worker ${event.workerId}` : "",
        event.error ? `${event.error.code ?? event.error.name}: ${event.error.message}` : "",
        event.progress !== undefined ? `progress ${JSON.stringify(event.progress)}` : "",
      ]
        .filter(Boolean)
        .join(", ");
      out.push({ at: event.at, what: event.type, source: "event", ...(detail ? { detail } : {}) });
    }
  }
  return out;
}

function timelineOf(job: JobDetail["job"], events: TimelineEntry[]): TimelineEntry[] {
  const out: TimelineEntry[] = [{ at: job.createdAt, what: "created", source: "record" }];
  if (job.runAtMs !== undefined && job.runAtMs > job.createdAt) {
    out.push({
      at: job.runAtMs,
      what: "due",
      source: "record",
      detail: `delayed ${duration(job.runAtMs - job.createdAt)}`,
    });
  }
  if (job.startedAt !== undefined) {
    out.push({ at: job.startedAt, what: "started", source: "record", detail: `run ${job.attempts}` });
  }
  if (job.finishedAt !== undefined) {
    out.push({ at: job.finishedAt, what: "finished", source: "record", detail: job.status });
  }
  return [...out, ...events].sort((a, b) => a.at - b.at);
}

function errorLine(error: JobError): string {
  const code = error.code ? ` [${error.code}]` : "";
  return `${error.name ?? "Error"}${code}: ${brief(error.message, 100)}`;
}

/** `tq job <queue> <id>`: the job's fields, its timeline (record and stream), its errors. */
export async function jobCommand(
  queueName: string,
  id: string,
  flags: CommonFlags,
  io: CliIo,
): Promise<void> {
  const detail = await withSession(flags, io, async (session): Promise<JobDetail> => {
    const queue = await session.existingQueue(queueName);
    const [info, extra, events] = await Promise.all([
      queue.getJob(id),
      extraFields(session, queueName, id),
      streamEvents(session, queueName, id),
    ]);
    if (!info) {
      throw failure(
        `queue ${quote(queueName)} has no job ${quote(id)} (never enqueued, or removed by retention)`,
      );
    }
    const job = { ...extra, ...info };
    return { job, timeline: timelineOf(job, events), errors: info.errors ?? [] };
  });
  print(io, flags, detail, () => {
    const j = detail.job;
    const rows: Array<[string, string]> = [
      ["id", j.id],
      ["queue", j.queue],
      ["task", j.task],
      ["status", j.status],
      ["priority", j.priority],
      ["attempts", `${j.attempts} of at most ${j.maxRetries + 1} (maxRetries ${j.maxRetries})`],
      ["stalls", String(j.stalls)],
      ["worker", j.workerId ?? "-"],
      ["args", brief(j.args, 200)],
    ];
    if (j.progress !== undefined) rows.push(["progress", brief(j.progress, 100)]);
    if (j.result !== undefined) rows.push(["result", brief(j.result, 200)]);
    if (j.error) rows.push(["error", errorLine(j.error)]);
    let text = fields(rows);
    text += `\ntimeline\n${table(
      ["AT", "WHAT", "FROM", "DETAIL"],
      detail.timeline.map((t) => [time(t.at), t.what, t.source, t.detail ?? ""]),
    )}`;
    if (detail.errors.length > 0) {
      const count = j.errorCount ?? detail.errors.length;
      text += `\nerrors (${count} failed run(s)${count > detail.errors.length ? `, newest ${detail.errors.length} kept` : ""})\n`;
      text += table(
        ["RUN", "ERROR"],
        detail.errors.map((e, i) => [String(e.attempt ?? i + 1), errorLine(e)]),
      );
    }
    return text;
  });
}
