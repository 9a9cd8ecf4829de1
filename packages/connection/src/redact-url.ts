import { isClusterUrl, redactClusterUrl } from "./cluster-url.js";

/** What {@link redactUrl} shows for a URL that cannot be parsed: nothing of it, as any part could be a password. */
export const UNPARSABLE_URL = "an unparsable Redis URL (not shown: it may hold a password)";

/** What {@link redactUrl} shows for a URL of another scheme, where nothing says which part is a password. */
export const NON_REDIS_URL =
  "a URL that is not redis://, rediss:// or redis-cluster:// (not shown: it may hold a password)";

/**
 * A Redis URL as it may appear in a message or log line: parsed (WHATWG `URL`), with the password replaced by `***`
 * (and a user name given without a password too, since `redis://secret@host` is sometimes meant as a password), and
 * without query or fragment. A URL that does not parse, or is not `redis:`/`rediss:` (`alice:secret@host` parses
 * as the scheme `alice:`), is not echoed at all: the parser is the only reliable judge of where the credentials end
 * (`redis://alice:p@ss@host` has the password `p@ss`). A cluster URL (`redis-cluster://…`) is shown the same way,
 * with its list of nodes.
 */
export function redactUrl(url: string): string {
  if (isClusterUrl(url)) return redactClusterUrl(url) ?? UNPARSABLE_URL;
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return UNPARSABLE_URL;
  }
  if (parsed.protocol !== "redis:" && parsed.protocol !== "rediss:") return NON_REDIS_URL;
  if (parsed.password !== "") parsed.password = "***";
  else if (parsed.username !== "") parsed.username = "***";
  parsed.search = "";
  parsed.hash = "";
  return parsed.href;
}
