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
  "removed",
] as const;

/**
 * What happened to a job:
 * - `enqueued`: stored, pending or scheduled (also a replay from the dead letter by `retry`/`retryAllFailed`);
 * - `started`: claimed by a worker for a run (`attempt`, `workerId`);
 * - `progress`: a handler reported progress (`progress`);
 * - `retrying`: a run failed and the job will run again (`error`, `attempt` of the failed run);
 * - `completed`: the job completed;
 * - `failed`: the job ended in the dead letter (`error`), also a running job `queue.cancel()` ended (code `CANCELLED`);
 * - `cancelled`: the job was cancelled before it started (and removed);
 * - `stalled`: a run lost its lease or died with its pool child, and the job will run again (`error`);
 * - `removed`: a finished job was removed by `purge`.
 *
 * `enqueued`, `started` and `completed` events, written for every job, carry no `task` or `attempt` (the stream
 * stays small and the hot path cheap); `started` and `completed` carry the `workerId`. Ask `queue.events()` for
 * `detail: true` to have them read from the job's record as the events are delivered.
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
  /** The worker that ran (or claimed) the run; for `stalled`, the worker that lost it. */
  workerId?: string;
}

// Kinds written by earlier versions of the scripts (entries of the `e`/`id` layout), by the names they carry now.
const RENAMED: Readonly<Record<string, QueueEventType>> = { retried: "enqueued" };
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

/** One job's detail in a `<kind>.d` field (see includes/events.lua). */
interface EventDetail {
  task?: unknown;
  att?: unknown;
  wid?: unknown;
  err?: unknown;
  prog?: unknown;
}

function detailList(raw: string | undefined): ReadonlyArray<EventDetail | null> {
  if (raw === undefined) return [];
  try {
    const list: unknown = JSON.parse(raw);
    if (Array.isArray(list)) return list as Array<EventDetail | null>;
  } catch {
    // written by something else: leave the detail out
  }
  return [];
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

function withDetail(
  event: QueueEvent,
  detail: EventDetail | null | undefined,
  entryWorker: string | undefined,
) {
  if (detail && typeof detail === "object") {
    if (typeof detail.task === "string") event.task = detail.task;
    if (typeof detail.att === "number" && Number.isInteger(detail.att) && detail.att > 0)
      event.attempt = detail.att;
    if (detail.prog !== undefined) event.progress = detail.prog;
    const error = errorOf(detail.err);
    if (error) event.error = error;
    if (typeof detail.wid === "string") event.workerId = detail.wid;
  } else if (entryWorker !== undefined) event.workerId = entryWorker;
  return event;
}

/** The events of an entry of the earlier layout: `e` the kind, `id` the ids. */
function decodeLegacyEntry(entry: StreamEntry, at: number): QueueEvent[] {
  const { e, id: ids } = entry.fields;
  if (e === undefined || ids === undefined || ids === "") return [];
  const type = RENAMED[e] ?? e;
  if (!TYPES.has(type)) return [];
  return ids
    .split(" ")
    .map((jobId, i) => ({ id: eventId(entry.id, i), type: type as QueueEventType, jobId, at }));
}

/**
 * The events of one entry of a queue's event stream, one per job it names, in the order the script emitted their
 * kinds (see includes/events.lua). Fields of unknown kinds are skipped (their ids still count for the index, so
 * event ids stay stable whoever reads them).
 */
export function decodeEventEntry(entry: StreamEntry): QueueEvent[] {
  const at = Number(entry.id.split("-")[0]);
  const { fields } = entry;
  if (fields.e !== undefined) return decodeLegacyEntry(entry, at);
  const entryWorker = fields.wid;
  const events: QueueEvent[] = [];
  let index = 0;
  for (const [field, value] of Object.entries(fields)) {
    if (field === "wid" || field.endsWith(".d") || value === "") continue;
    const jobIds = value.split(" ");
    const known = TYPES.has(field);
    // kinds with detail name their run's worker there; the others are the entry's worker's (a take call's claims
    // and completions)
    const details = known ? detailList(fields[`${field}.d`]) : [];
    const worker = fields[`${field}.d`] === undefined ? entryWorker : undefined;
    for (let i = 0; i < jobIds.length; i++, index++) {
      if (!known) continue;
      const event: QueueEvent = {
        id: eventId(entry.id, index),
        type: field as QueueEventType,
        jobId: jobIds[i] as string,
        at,
      };
      events.push(withDetail(event, details[i], worker));
    }
  }
  return events;
}
