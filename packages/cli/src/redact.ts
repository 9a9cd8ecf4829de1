/**
 * The credentials of a Redis URL (its password and user name, raw and percent-decoded), to be cut out of every
 * line the CLI prints: messages from the driver may quote the URL back.
 */
export function urlSecrets(url: string | undefined): string[] {
  if (!url) return [];
  try {
    const parsed = new URL(url);
    const parts = [parsed.password, parsed.username].filter((part) => part !== "");
    return [...new Set(parts.flatMap((part) => [part, safeDecode(part)]))].sort(
      (a, b) => b.length - a.length,
    );
  } catch {
    return [];
  }
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

/** The userinfo of any `scheme://user:password@` in a text. */
const USERINFO = /([a-z][a-z0-9+.-]*:\/\/)[^\s/?#]*@/gi;

/** `text` with every one of `secrets`, and the userinfo of every URL in it, replaced by `***`. */
export function redact(text: string, secrets: readonly string[]): string {
  let out = text;
  // a one- or two-letter secret would garble the message; it is still cut out of URLs below
  for (const secret of secrets) if (secret.length >= 3) out = out.split(secret).join("***");
  return out.replace(USERINFO, "$1***@");
}
