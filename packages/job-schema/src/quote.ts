/**
 * A user-supplied value (a queue or task name, a job id, a prefix) as it should appear in a message or log line:
 * JSON-quoted, so control characters and newlines are escaped and cannot forge a line, and cut to 200 characters.
 */
export function quote(value: unknown): string {
  let text: string;
  try {
    text = typeof value === "string" ? JSON.stringify(value) : String(JSON.stringify(value) ?? typeof value);
  } catch {
    text = `[${typeof value}]`;
  }
  return text.length > 200 ? `${text.slice(0, 199)}…` : text;
}
