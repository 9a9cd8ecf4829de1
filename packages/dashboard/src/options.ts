import type { ConnectionOption } from "@tq/connection";
import { TqError } from "@tq/job-schema";
import { checkPrefix, DEFAULT_PREFIX } from "@tq/protocol";

/**
 * Who may use the dashboard:
 * - `{ token }`: a login form that takes the token (then a signed, HttpOnly, SameSite=Strict cookie), or an
 *   `Authorization: Bearer <token>` header;
 * - `{ username, password }`: HTTP basic auth;
 * - `"none"`: no login, served only to loopback clients that name a loopback host (see docs/dashboard.md).
 */
export type DashboardAuth = { token: string } | { username: string; password: string } | "none";

/** Options for {@link createDashboard}. */
export interface DashboardOptions {
  /** Where Redis is: a URL, node-redis options or a client (never closed by the dashboard). @defaultValue `$REDIS_URL` */
  connection?: ConnectionOption;
  /** The key prefix of the queues shown. @defaultValue "tq" */
  prefix?: string;
  /** Show no action and refuse every action with 403. @defaultValue false */
  readOnly?: boolean;
  /** Who may see the dashboard; required, so that an open dashboard is always a choice. */
  auth: DashboardAuth;
  /**
   * The path the dashboard is mounted at, e.g. `"/admin/tq"`: every link, asset and cookie is under it.
   * @defaultValue "" (the root)
   */
  basePath?: string;
  /** How long a login lasts, in milliseconds. @defaultValue 43_200_000 (12 hours) */
  sessionMs?: number;
}

/** The options, checked, with every default filled in. */
export interface ResolvedDashboardOptions {
  connection: ConnectionOption | undefined;
  prefix: string;
  readOnly: boolean;
  auth: DashboardAuth;
  basePath: string;
  sessionMs: number;
}

/** Shortest token accepted: a guessable token would make the login form the weak point. */
export const MIN_TOKEN_LENGTH = 16;

const BASE_PATH = /^(\/[A-Za-z0-9._~-]+)*$/;

/** Checks {@link DashboardOptions} (a `VALIDATION` error says what is wrong) and fills in the defaults. */
export function resolveDashboardOptions(options: DashboardOptions): ResolvedDashboardOptions {
  const auth = options?.auth;
  if (auth !== "none") {
    if (typeof auth !== "object" || auth === null) {
      throw new TqError(
        "VALIDATION",
        'createDashboard: auth is required: { token }, { username, password } or "none" (loopback only)',
      );
    }
    if ("token" in auth) {
      if (typeof auth.token !== "string" || auth.token.length < MIN_TOKEN_LENGTH) {
        throw new TqError(
          "VALIDATION",
          `createDashboard: auth.token must be a string of at least ${MIN_TOKEN_LENGTH} characters (not shown)`,
        );
      }
    } else if (
      typeof auth.username !== "string" ||
      auth.username === "" ||
      auth.username.includes(":") ||
      typeof auth.password !== "string" ||
      auth.password === ""
    ) {
      throw new TqError(
        "VALIDATION",
        "createDashboard: basic auth needs a username without ':' and a non-empty password (not shown)",
      );
    }
  }
  const basePath = (options.basePath ?? "").replace(/\/+$/, "");
  if (!BASE_PATH.test(basePath)) {
    throw new TqError(
      "VALIDATION",
      `createDashboard: basePath must be like "/admin/tq" (segments of letters, digits, . _ ~ -), got "${basePath}"`,
    );
  }
  const sessionMs = options.sessionMs ?? 12 * 3_600_000;
  if (!Number.isInteger(sessionMs) || sessionMs < 1_000) {
    throw new TqError(
      "VALIDATION",
      "createDashboard: sessionMs must be a whole number of milliseconds >= 1000",
    );
  }
  return {
    connection: options.connection,
    prefix: checkPrefix(options.prefix ?? DEFAULT_PREFIX),
    readOnly: options.readOnly === true,
    auth,
    basePath,
    sessionMs,
  };
}
