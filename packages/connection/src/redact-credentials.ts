// Redaction of Redis credentials in the messages the tq-worker and tq bins print. The URL it was given may carry a
// password; error messages from the connection layer, or from Node itself, may quote that URL back.

/** The userinfo of every `scheme://user:password@` in a text, up to the last `@` before the host. */
const USERINFO = /([a-z][a-z0-9+.-]*:\/\/)[^\s/?#]*@/gi;

/** Secrets shorter than this are only redacted inside URLs: replacing every "ab" in a message would garble it. */
const MIN_LITERAL_SECRET = 4;

/**
 * The credentials in a Redis URL, as written and as percent-decoded: everything between `://` and the last `@`, and
 * the password part of it. Parsed by hand, not with `URL`, so that a URL the parser rejects is covered too.
 */
export function urlSecrets(url: string | undefined): string[] {
  if (!url) return [];
  const start = url.indexOf("://");
  const at = url.lastIndexOf("@");
  if (start < 0 || at <= start + 3) return [];
  const userinfo = url.slice(start + 3, at);
  const colon = userinfo.indexOf(":");
  const raw = [userinfo];
  if (colon >= 0) raw.push(userinfo.slice(colon + 1));
  const out = new Set<string>();
  for (const secret of raw) {
    out.add(secret);
    try {
      out.add(decodeURIComponent(secret));
    } catch {
      // not percent-encoded
    }
  }
  // Longest first, so that a password inside the whole userinfo does not leave the user name's half behind.
  return [...out].filter((s) => s.length > 0).sort((a, b) => b.length - a.length);
}

/** `text` with each known secret, and the credentials of every URL in it, replaced by `***`. */
export function redactCredentials(text: string, secrets: readonly string[] = []): string {
  let out = text;
  for (const secret of secrets) {
    if (secret.length >= MIN_LITERAL_SECRET) out = out.split(secret).join("***");
  }
  return out.replace(USERINFO, "$1***@");
}
