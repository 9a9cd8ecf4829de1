import type { RedisConnection } from "@tq/connection";
import { compareStreamIds, parseXRead, type StreamEntry } from "@tq/protocol";

/** What one {@link readAfter} got. */
export interface StreamBatch {
  /** The entries after the id read from, oldest first (none when the block timed out). */
  entries: StreamEntry[];
  /** The id of the stream's oldest entry, read just before the entries (undefined: the stream was empty). */
  oldestId: string | undefined;
  /**
   * The stream's oldest entry was newer than the id read from: entries after it may have been trimmed unread
   * (the capped stream moved past the reader), so whoever follows it should re-read what it tracks.
   */
  trimmedPast: boolean;
}

/** The id of the first entry of an `XRANGE`/`XREVRANGE` reply. */
export function firstEntryId(reply: unknown): string | undefined {
  const entry = Array.isArray(reply) ? (reply[0] as unknown[] | undefined) : undefined;
  return entry ? String(entry[0]) : undefined;
}

/**
 * One read of a stream after `lastId`: `XREAD COUNT … BLOCK …`, pipelined behind an `XRANGE … COUNT 1` of the
 * stream's oldest entry, so telling whether the reader fell behind the cap costs no round trip of its own. Runs on
 * a connection that is free to block.
 */
export async function readAfter(
  connection: RedisConnection,
  stream: string,
  lastId: string,
  count: number,
  blockMs: number,
): Promise<StreamBatch> {
  const [oldest, reply] = await Promise.all([
    connection.send<unknown>(["XRANGE", stream, "-", "+", "COUNT", "1"], stream),
    connection.send<unknown>(
      ["XREAD", "COUNT", String(count), "BLOCK", String(blockMs), "STREAMS", stream, lastId],
      stream,
    ),
  ]);
  const oldestId = firstEntryId(oldest);
  return {
    entries: parseXRead(reply, stream),
    oldestId,
    trimmedPast: lastId !== "0-0" && oldestId !== undefined && compareStreamIds(oldestId, lastId) > 0,
  };
}

/** The id of the stream's newest entry, or "0-0" for an empty stream: where a live reader starts. */
export async function newestEntryId(connection: RedisConnection, stream: string): Promise<string> {
  const reply = await connection.send<unknown>(["XREVRANGE", stream, "+", "-", "COUNT", "1"], stream);
  return firstEntryId(reply) ?? "0-0";
}
