import { type RedisConnection, reconnectDelayMs } from "@tq/connection";
import { quote, TqError } from "@tq/job-schema";
import {
  decodeEventEntry,
  EVENTS_GAP,
  eventId,
  parseEventId,
  parseXRead,
  type QueueEvent,
  type QueueKeys,
} from "@tq/protocol";
import { newestEntryId, readAfter } from "./stream-tail.js";

/** Options for `queue.events()`. */
export interface EventsOptions {
  /** Ends the iteration (the loop leaves normally) when aborted. */
  signal?: AbortSignal;
  /**
   * Resume right after this event: a {@link QueueEvent.id}, a stream entry id (`<ms>-<seq>`: after that whole
   * entry), or `"0"` for every event still in the stream. Without it, the events from the call of `events()` on.
   * An id older than what the capped stream still holds starts with a `gap` event.
   */
  from?: string;
  /**
   * Fill in `task` and `attempt` of the events that do not carry them (`enqueued`, `started`, `completed`) from the
   * job's record as they are delivered: one pipelined read per batch of events, on the iterator's connection. The
   * record says where the job is when the event is read, so a job that has run again since gives its later attempt,
   * and one that is gone gives neither. @defaultValue false
   */
  detail?: boolean;
}

/** How long one XREAD blocks, in milliseconds: the longest a dropped connection goes unnoticed while idle. */
const BLOCK_MS = 5_000;

/** Entries per XREAD. */
const READ_COUNT = 200;

/** Where an iterator is: the last entry read and the last index of it yielded (`Infinity`: the whole entry). */
interface Cursor {
  entryId: string;
  index: number;
}

/** What {@link queueEvents} needs of its queue. */
export interface EventSource {
  readonly queue: string;
  readonly keys: QueueKeys;
  /** The queue's command connection (for the starting position). */
  command(): Promise<RedisConnection>;
  /** A connection of the iterator's own, for its blocking reads. */
  open(): Promise<RedisConnection>;
  /** Registers `stop` to run when the queue closes; returns the way to unregister it. */
  onClose(stop: () => void): () => void;
}

function startCursor(source: EventSource, from: string | undefined): Promise<Cursor> {
  if (from === undefined) {
    // taken on the command connection, so a call made on the queue after events() is seen
    return source.command().then(async (c) => ({
      entryId: await newestEntryId(c, source.keys.events),
      index: Number.POSITIVE_INFINITY,
    }));
  }
  const cursor = from === "0" ? { entryId: "0-0", index: Number.POSITIVE_INFINITY } : parseEventId(from);
  if (!cursor) {
    return Promise.reject(
      new TqError(
        "VALIDATION",
        `queue ${quote(source.queue)}: events({ from }) takes an event id ("<ms>-<seq>:<index>"), a stream id or "0", got ${quote(from)}`,
      ),
    );
  }
  return Promise.resolve(cursor);
}

/**
 * The queue's lifecycle events as an async iterable: a live tail of its event stream, read with `XREAD BLOCK` on a
 * connection of its own (the queue's command connection is never blocked). It resumes from the last event it
 * yielded after a dropped connection, yields a `gap` event when the capped stream was trimmed past it, and ends
 * when `signal` aborts, the loop breaks, or the queue closes.
 */
export function queueEvents(source: EventSource, options: EventsOptions = {}): AsyncGenerator<QueueEvent> {
  const start = startCursor(source, options.from);
  start.catch(() => {});
  return run(source, start, options.signal, options.detail === true);
}

/** The index of an event within its stream entry (the part of its id after the last colon). */
function indexOf(event: QueueEvent): number {
  return Number(event.id.slice(event.id.lastIndexOf(":") + 1));
}

/** Fills in `task` (and for runs `attempt` and `workerId`) of events that lack them from their jobs' records. */
async function addDetail(c: RedisConnection, keys: QueueKeys, events: QueueEvent[]): Promise<void> {
  const bare = events.filter((e) => e.task === undefined && e.jobId !== "");
  if (bare.length === 0) return;
  const records = await Promise.all(
    bare.map((e) =>
      c.send<Array<string | null>>(["HMGET", keys.job(e.jobId), "task", "att", "wid"], keys.base),
    ),
  );
  bare.forEach((event, i) => {
    const [task, att, wid] = records[i] ?? [];
    if (typeof task === "string") event.task = task;
    const attempt = Number(att);
    if (event.type === "enqueued") return;
    if (event.attempt === undefined && Number.isInteger(attempt) && attempt > 0) event.attempt = attempt;
    if (event.workerId === undefined && typeof wid === "string") event.workerId = wid;
  });
}

async function* run(
  source: EventSource,
  start: Promise<Cursor>,
  signal: AbortSignal | undefined,
  detail: boolean,
): AsyncGenerator<QueueEvent> {
  const stream = source.keys.events;
  let stopped = signal?.aborted ?? false;
  let connection: RedisConnection | undefined;
  let wake: (() => void) | undefined;
  const stop = () => {
    stopped = true;
    // a blocked XREAD rejects at once
    connection?.destroy();
    wake?.();
  };
  signal?.addEventListener("abort", stop, { once: true });
  const offClose = source.onClose(stop);
  const pause = (ms: number) =>
    new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, ms);
      wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  try {
    if (stopped) return;
    const cursor = await start;
    let failures = 0;
    while (!stopped) {
      try {
        connection ??= await source.open();
        if (stopped) return;
        // where a gap is reported: the last event yielded, or the entry read from
        const at = Number.isFinite(cursor.index) ? eventId(cursor.entryId, cursor.index) : cursor.entryId;
        let rest: QueueEvent[] = [];
        if (Number.isFinite(cursor.index)) {
          // resuming inside an entry: the rest of it first
          const reply = await connection.send<unknown>(
            ["XRANGE", stream, cursor.entryId, cursor.entryId],
            stream,
          );
          const after = cursor.index;
          rest = decodeEventEntry(parseXRead([[stream, reply]], stream)[0] ?? { id: "", fields: {} }).filter(
            (event) => indexOf(event) > after,
          );
        }
        const batch = await readAfter(connection, stream, cursor.entryId, READ_COUNT, BLOCK_MS);
        failures = 0;
        // Resumed from an old id, back from a dropped connection or slow over a batch: the capped stream may have
        // moved past the cursor.
        if (batch.trimmedPast && rest.length === 0) {
          yield { id: at, type: EVENTS_GAP, jobId: "", at: Number(batch.oldestId?.split("-")[0]) };
          if (stopped) return;
        }
        const entries = batch.entries.map((entry) => ({ id: entry.id, events: decodeEventEntry(entry) }));
        if (detail)
          await addDetail(connection, source.keys, [...rest, ...entries.flatMap((entry) => entry.events)]);
        for (const event of rest) {
          cursor.index = indexOf(event);
          yield event;
          if (stopped) return;
        }
        cursor.index = Number.POSITIVE_INFINITY;
        for (const entry of entries) {
          cursor.entryId = entry.id;
          cursor.index = -1;
          for (const event of entry.events) {
            cursor.index = indexOf(event);
            yield event;
            if (stopped) return;
          }
          cursor.index = Number.POSITIVE_INFINITY;
        }
      } catch (error) {
        if (stopped) return;
        if (error instanceof TqError && error.code === "VALIDATION") throw error;
        failures++;
        await pause(reconnectDelayMs(failures + 1));
      }
    }
  } finally {
    signal?.removeEventListener("abort", stop);
    offClose();
    connection?.destroy();
  }
}
