import type { JobError, JobInfo } from "@tq/client";
import { quote } from "@tq/job-schema";
import { jobTimeline, queueKeys, readJobEvents, readRunAt, type TimelineEntry } from "@tq/protocol";
import { failure } from "../cli-error.js";
import { type CommonFlags, print, withSession } from "../command-kit.js";
import { brief, duration, fields, table, time } from "../format.js";
import type { CliIo } from "../io.js";

/** What `tq job --json` prints. */
export interface JobDetail {
  job: JobInfo & { runAtMs?: number };
  timeline: TimelineEntry[];
  /** The failed runs' errors, oldest first (the newest 10 are kept on the record). */
  errors: JobError[];
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
    const keys = queueKeys(queueName, session.prefix);
    const [info, runAtMs, events] = await Promise.all([
      queue.getJob(id),
      readRunAt(session.connection, keys, id),
      readJobEvents(session.connection, keys, id),
    ]);
    if (!info) {
      throw failure(
        `queue ${quote(queueName)} has no job ${quote(id)} (never enqueued, or removed by retention)`,
      );
    }
    const job = { ...info, ...(runAtMs !== undefined ? { runAtMs } : {}) };
    return { job, timeline: jobTimeline(job, events, duration), errors: info.errors ?? [] };
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
