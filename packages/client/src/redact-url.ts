/** What {@link redactUrl} shows for a URL that cannot be parsed: nothing of it, as any part could be a password. */
export const UNPARSABLE_URL = "an unparsable Redis URL (not shown: it may hold a password)";

/**
 * A Redis URL as it may appear in a message or log line: parsed (WHATWG `URL`), with the password replaced by `***`
 * (and a user name given without a password too, since `redis://secret@host` is sometimes meant as a password).
 * A URL that does not parse is not echoed at all: the parser is the only reliable judge of where the credentials
 * end (`redis://alice:p@ss@host` has the password `p@ss`).
 */
export function redactUrl(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return UNPARSABLE_URL;
  }
  if (parsed.password !== "") parsed.password = "***";
  else if (parsed.username !== "") parsed.username = "***";
  return parsed.href;
}
