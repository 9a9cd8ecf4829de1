// Text for people: ages, times, short JSON. Escaping is hono/jsx's: every value here ends up as text.

/** An age or duration in ms, short: `850 ms`, `12.3 s`, `4 min 05 s`, `2 h 03 min`, `3 d 04 h`; "-" when absent. */
export function age(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return "-";
  const abs = Math.max(0, ms);
  if (abs < 1_000) return `${Math.round(abs)} ms`;
  if (abs < 60_000) return `${(abs / 1_000).toFixed(1)} s`;
  const s = Math.floor(abs / 1_000);
  const pad = (n: number) => String(n).padStart(2, "0");
  if (s < 3_600) return `${Math.floor(s / 60)} min ${pad(s % 60)} s`;
  if (s < 86_400) return `${Math.floor(s / 3_600)} h ${pad(Math.floor(s / 60) % 60)} min`;
  return `${Math.floor(s / 86_400)} d ${pad(Math.floor(s / 3_600) % 24)} h`;
}

/** An epoch-ms time as ISO 8601 (UTC, to the millisecond); "-" when absent. */
export function at(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return "-";
  return new Date(ms).toISOString();
}

/** A JSON value, indented, for a `<pre>`. */
export function pretty(value: unknown): string {
  if (value === undefined) return "-";
  try {
    return JSON.stringify(value, null, 2) ?? String(value);
  } catch {
    return String(value);
  }
}

/** A value as one short line of JSON, cut to `max` characters. */
export function short(value: unknown, max = 80): string {
  if (value === undefined) return "-";
  const text = typeof value === "string" ? value : (JSON.stringify(value) ?? String(value));
  const one = text.replace(/\s+/g, " ");
  return one.length > max ? `${one.slice(0, max - 1)}…` : one;
}

/** A whole number with thousands separators. */
export function count(n: number): string {
  return n.toLocaleString("en-US");
}
