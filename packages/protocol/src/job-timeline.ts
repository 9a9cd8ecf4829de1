import { MAX_EVENTS } from "./constants.js";
import { decodeEventEntry } from "./events.js";
import type { JobInfo } from "./job-info.js";
import type { QueueKeys } from "./keys.js";
import type { ScriptSender } from "./script.js";
import { parseXRead } from "./stream-reply.js";

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

/** A job's record as {@link readJobTimeline} needs it: the `JobInfo` and the run time from the record. */
export type TimelineJob = Pick<JobInfo, "createdAt" | "startedAt" | "finishedAt" | "attempts" | "status"> & {
  /** The job's run time from its record (`runAt`), whatever its state. */
  runAtMs?: number;
};

/** The job's fields the `JobInfo` snapshot does not carry in every state: the run time, read from the record. */
export async function readRunAt(
  sender: ScriptSender,
  keys: QueueKeys,
  id: string,
): Promise<number | undefined> {
  const runAt = await sender.send<string | null>(["HGET", keys.job(id), "runAt"], keys.base);
  return runAt ? Number(runAt) : undefined;
}

/**
 * The job's entries in the queue's event stream: bounded by the stream's cap (about {@link MAX_EVENTS} entries),
 * so an old job may have none left. An entry names its jobs as space-separated ids.
 */
export async function readJobEvents(
  sender: ScriptSender,
  keys: QueueKeys,
  id: string,
): Promise<TimelineEntry[]> {
  const raw = await sender.send<unknown>(
    ["XREVRANGE", keys.events, "+", "-", "COUNT", String(MAX_EVENTS + 100)],
    keys.base,
  );
  // an XRANGE reply is the entry list of one stream in an XREAD reply
  const entries = parseXRead([[keys.events, raw]], keys.events);
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

/**
 * A job's timeline, oldest first: the moments its record keeps (created, due, the latest start and finish) merged
 * with its events still in the stream. `duration` writes the delay of a job that was due after it was created.
 */
export function jobTimeline(
  job: TimelineJob,
  events: readonly TimelineEntry[],
  duration: (ms: number) => string,
): TimelineEntry[] {
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
