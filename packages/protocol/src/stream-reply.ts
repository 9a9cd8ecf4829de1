/** One stream entry: its id and its fields as an object. */
export interface StreamEntry {
  id: string;
  fields: Record<string, string>;
}

function entriesOf(raw: unknown): StreamEntry[] {
  if (!Array.isArray(raw)) return [];
  const out: StreamEntry[] = [];
  for (const entry of raw) {
    if (!Array.isArray(entry)) continue;
    const [id, flat] = entry as [unknown, unknown];
    const fields: Record<string, string> = {};
    if (Array.isArray(flat)) {
      for (let i = 0; i + 1 < flat.length; i += 2) fields[String(flat[i])] = String(flat[i + 1]);
    }
    out.push({ id: String(id), fields });
  }
  return out;
}

/** The entries of one stream in an XREAD reply, under RESP2 (array of pairs) or RESP3 (map, as Map or object). */
export function parseXRead(reply: unknown, stream: string): StreamEntry[] {
  if (reply === null || reply === undefined) return [];
  if (reply instanceof Map) return entriesOf(reply.get(stream));
  if (Array.isArray(reply)) {
    for (const item of reply) {
      if (Array.isArray(item) && String(item[0]) === stream) return entriesOf(item[1]);
    }
    return [];
  }
  if (typeof reply === "object") return entriesOf((reply as Record<string, unknown>)[stream]);
  return [];
}
