import type { StreamEntry } from "./stream-reply.js";

/** Every kind of event a queue's event stream carries, in the order of a job's life. */
export const QUEUE_EVENT_TYPES = [
  "enqueued",
  "started",
  "progress",
  "retrying",
  "completed",
  "failed",
  "cancelled",
  "stalled",
] as const;

/**
 * What happened to a job:
 * - `enqueued`: stored, pending or scheduled (also a replay from the dead letter by `retry`/`retryAllFailed`);
 * - `started`: claimed by a worker for a run (`attempt`, `workerId`);
 * - `progress`: a handler reported progress (`progress`);
 * - `retrying`: a run failed and the job will run again (`error`, `attempt` of the failed run);
 * - `completed`: the job completed;
 * - `failed`: the job ended in the dead letter (`error`);
 * - `cancelled`: the job was cancelled before it started;
 * - `stalled`: a run lost its lease or died with its pool child, and the job will run again (`error`).
 */
export type QueueEventType = (typeof QUEUE_EVENT_TYPES)[number];

/** The error an event carries: a summary of the job's recorded error (its message cut to 256 bytes). */
export interface QueueEventError {
  name: string;
  message: string;
  /** The {@link TqErrorCode} when tq itself failed the run (`LEASE_LOST`, `TIMEOUT`, …). */
  code?: string;
}

/**
 * The type of the event `queue.events()` yields when it fell behind the stream's cap: events after the previous
 * one were trimmed before they were read (its `jobId` is empty). Whoever tracks jobs by their events should re-read
 * what it tracks (`getJob`, `counts`).
 */
export const EVENTS_GAP = "gap";

/** One lifecycle event of one job (or, with type {@link EVENTS_GAP}, the news that some were missed). */
export interface QueueEvent {
  /**
   * The event's id, `<stream entry id>:<index within the entry>` (e.g. `1718000000000-0:3`): pass it as `from` to
   * resume right after this event.
   */
  id: string;
  type: QueueEventType | typeof EVENTS_GAP;
  /** The job's id; empty for a {@link EVENTS_GAP} event. */
  jobId: string;
  /** Epoch ms (Redis clock) when the script that caused it ran. */
  at: number;
  task?: string;
  /** The run (1-based) the event is about. */
  attempt?: number;
  /** The value passed to `ctx.progress()` (`progress` events). */
  progress?: unknown;
  /** Why the run failed (`retrying`, `failed`, `stalled`). */
  error?: QueueEventError;
  /** The worker that ran (or claimed) the run. */
  workerId?: string;
}

// Kinds written by earlier versions of the scripts, by the names they carry now.
const RENAMED: Readonly<Record<string, QueueEventType>> = { removed: "cancelled", retried: "enqueued" };
const TYPES: ReadonlySet<string> = new Set(QUEUE_EVENT_TYPES);

/** The event id of the `index`th job (0-based) of stream entry `entryId`. */
export function eventId(entryId: string, index: number): string {
  return `${entryId}:${index}`;
}

/** A stream id "<ms>-<seq>". */
const STREAM_ID = /^\d+-\d+$/;

/**
 * Where an event id points: its stream entry and the index within it, or null when it is not one. A plain stream
 * entry id (`<ms>-<seq>`) means "after that whole entry" (index `Infinity`).
 */
export function parseEventId(id: string): { entryId: string; index: number } | null {
  const colon = id.lastIndexOf(":");
  if (colon === -1) return STREAM_ID.test(id) ? { entryId: id, index: Number.POSITIVE_INFINITY } : null;
  const entryId = id.slice(0, colon);
  const index = id.slice(colon + 1);
  if (!STREAM_ID.test(entryId) || !/^\d+$/.test(index)) return null;
  return { entryId, index: Number(index) };
}

/** Compares two stream ids ("ms-seq"): negative when `a` is older. */
export function compareStreamIds(a: string, b: string): number {
  const [am = "0", as = "0"] = a.split("-");
  const [bm = "0", bs = "0"] = b.split("-");
  return Number(am) - Number(bm) || Number(as) - Number(bs);
}

/** One per-job column: one value per job, one value for all, or none (see includes/events.lua). */
function column(raw: string | undefined, sep: string, n: number): (i: number) => string | undefined {
  if (raw === undefined) return () => undefined;
  const parts = raw.split(sep);
  if (parts.length !== n) return parts.length === 1 ? () => raw : () => undefined;
  return (i) => (parts[i] === "" ? undefined : parts[i]);
}

function jsonColumn(raw: string | undefined): (i: number) => unknown {
  if (raw === undefined) return () => undefined;
  try {
    const list: unknown = JSON.parse(raw);
    if (Array.isArray(list)) return (i) => (list[i] === null ? undefined : list[i]);
  } catch {
    // written by something else: leave the detail out
  }
  return () => undefined;
}

function errorOf(value: unknown): QueueEventError | undefined {
  if (typeof value !== "object" || value === null) return undefined;
  const { name, message, code } = value as Record<string, unknown>;
  const error: QueueEventError = {
    name: typeof name === "string" ? name : "Error",
    message: typeof message === "string" ? message : "",
  };
  if (typeof code === "string") error.code = code;
  return error;
}

/**
 * The events of one entry of a queue's event stream, one per job it names, in order. An entry of an unknown kind
 * gives none.
 */
export function decodeEventEntry(entry: StreamEntry): QueueEvent[] {
  const { e, id: ids } = entry.fields;
  if (e === undefined || ids === undefined || ids === "") return [];
  const type = RENAMED[e] ?? e;
  if (!TYPES.has(type)) return [];
  const jobIds = ids.split(" ");
  const n = jobIds.length;
  const task = column(entry.fields.task, "\n", n);
  const att = column(entry.fields.att, " ", n);
  const wid = column(entry.fields.wid, " ", n);
  const err = jsonColumn(entry.fields.err);
  const prog = jsonColumn(entry.fields.prog);
  const at = Number(entry.id.split("-")[0]);
  return jobIds.map((jobId, i) => {
    const event: QueueEvent = { id: eventId(entry.id, i), type: type as QueueEventType, jobId, at };
    const t = task(i);
    if (t !== undefined) event.task = t;
    const a = Number(att(i));
    if (Number.isInteger(a) && a > 0) event.attempt = a;
    const p = prog(i);
    if (p !== undefined) event.progress = p;
    const error = errorOf(err(i));
    if (error) event.error = error;
    const w = wid(i);
    if (w !== undefined) event.workerId = w;
    return event;
  });
}
