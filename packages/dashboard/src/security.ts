import { createHash, createHmac, randomBytes, timingSafeEqual } from "node:crypto";
import { isIP } from "node:net";

// The pieces of the dashboard's security model that are plain functions: signatures, constant-time comparison,
// loopback checks, the same-origin check and the headers of every response (see docs/dashboard.md).

/** The headers every response carries: no inline script or style, no framing, no sniffing, no referrer leaks. */
export const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  "Content-Security-Policy":
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; object-src 'none'; " +
    "base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
  "X-Content-Type-Options": "nosniff",
  "X-Frame-Options": "DENY",
  "Referrer-Policy": "same-origin",
  "Cache-Control": "no-store",
};

/** Whether two strings are equal, in time that does not depend on where they differ (digests of both). */
export function safeEqual(a: string, b: string): boolean {
  const da = createHash("sha256").update(a).digest();
  const db = createHash("sha256").update(b).digest();
  return timingSafeEqual(da, db);
}

/** HMAC-SHA256 signatures with a key of this process (a restart signs everyone out). */
export class Signer {
  readonly #key = randomBytes(32);

  /** The signature of `value`, base64url. */
  sign(value: string): string {
    return createHmac("sha256", this.#key).update(value).digest("base64url");
  }

  /** Whether `signature` is the signature of `value`. */
  verify(value: string, signature: string): boolean {
    return safeEqual(this.sign(value), signature);
  }
}

/** A random value for a cookie (a CSRF nonce), base64url. */
export function nonce(): string {
  return randomBytes(18).toString("base64url");
}

/** Whether a socket's remote address is the machine itself (127.0.0.0/8, ::1, or ::ffff:127.x.x.x). */
export function isLoopbackAddress(address: string | undefined): boolean {
  if (!address) return false;
  const v4 = address.startsWith("::ffff:") ? address.slice("::ffff:".length) : address;
  if (isIP(v4) === 4) return v4.startsWith("127.");
  return address === "::1";
}

/**
 * Whether a `Host` header names the machine itself: `localhost` (and `*.localhost`), 127.0.0.0/8 or `[::1]`, any
 * port. A page served under another name to a loopback client is a DNS rebinding attack: a hostile site's name
 * pointed at 127.0.0.1.
 */
export function isLoopbackHost(host: string | undefined): boolean {
  if (!host) return false;
  const name = host.toLowerCase().replace(/:\d+$/, "");
  if (name === "localhost" || name.endsWith(".localhost")) return true;
  if (name === "[::1]") return true;
  return isIP(name) === 4 && name.startsWith("127.");
}

/** Whether the `host` in a loopback-only address (`--host` of `tq dashboard`) is the machine itself. */
export function isLoopbackListenHost(host: string): boolean {
  return host === "localhost" || host === "::1" || isLoopbackAddress(host);
}

/**
 * The same-origin check of a state-changing request: its `Origin` header (else its `Referer`) must name the host the
 * request was sent to. A request with neither is refused: every browser sends `Origin` on a form post.
 */
export function isSameOrigin(headers: {
  host: string | undefined;
  origin: string | undefined;
  referer: string | undefined;
}): boolean {
  const { host } = headers;
  if (!host) return false;
  const from = headers.origin && headers.origin !== "null" ? headers.origin : headers.referer;
  if (!from) return false;
  try {
    return new URL(from).host.toLowerCase() === host.toLowerCase();
  } catch {
    return false;
  }
}
