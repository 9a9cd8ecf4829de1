import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { createDashboard, isLoopbackListenHost, MIN_TOKEN_LENGTH } from "@tq/dashboard";
import { failure, usageError } from "../cli-error.js";
import type { CommonFlags } from "../command-kit.js";
import type { CliIo } from "../io.js";
import { resolveTarget } from "../session.js";

/** The flags of `tq dashboard`. */
export interface DashboardFlags extends CommonFlags {
  port?: number;
  host?: string;
  readOnly?: boolean;
  token?: string;
}

/** The port `tq dashboard` listens on by default. */
export const DASHBOARD_PORT = 7070;

/** `TQ_DASHBOARD_READ_ONLY` values that turn read-only on; `0`, `false`, `no` and empty leave it off. */
const TRUE_VALUES = ["1", "true", "yes"];
const FALSE_VALUES = ["", "0", "false", "no"];

/**
 * The dashboard's settings: each flag, else its environment variable (`TQ_DASHBOARD_HOST`, `TQ_DASHBOARD_PORT`,
 * `TQ_DASHBOARD_READ_ONLY`, `TQ_DASHBOARD_TOKEN`: what a container is configured with), else the default.
 */
function dashboardSettings(flags: DashboardFlags, env: NodeJS.ProcessEnv) {
  const host = flags.host ?? (env.TQ_DASHBOARD_HOST || undefined) ?? "127.0.0.1";
  const hostFrom =
    flags.host !== undefined ? "--host" : env.TQ_DASHBOARD_HOST ? "TQ_DASHBOARD_HOST" : "--host";
  let port = flags.port ?? DASHBOARD_PORT;
  if (flags.port === undefined && env.TQ_DASHBOARD_PORT) {
    const text = env.TQ_DASHBOARD_PORT;
    port = Number(text);
    if (text.trim() === "" || !Number.isInteger(port) || port < 0 || port > 65_535) {
      throw usageError(
        `TQ_DASHBOARD_PORT must be a whole number from 0 to 65535, got ${JSON.stringify(text)}`,
      );
    }
  }
  let readOnly = flags.readOnly === true;
  if (!readOnly && env.TQ_DASHBOARD_READ_ONLY !== undefined) {
    const text = env.TQ_DASHBOARD_READ_ONLY.trim().toLowerCase();
    if (TRUE_VALUES.includes(text)) readOnly = true;
    else if (!FALSE_VALUES.includes(text)) {
      throw usageError(
        `TQ_DASHBOARD_READ_ONLY must be 1, true, yes, 0, false or no, got ${JSON.stringify(env.TQ_DASHBOARD_READ_ONLY)}`,
      );
    }
  }
  const token = flags.token ?? (env.TQ_DASHBOARD_TOKEN || undefined);
  return { host, hostFrom, port, readOnly, token };
}

/**
 * `tq dashboard`: serves `@tq/dashboard` on `--host`:`--port` until SIGINT/SIGTERM, then closes its event streams,
 * its Redis connections and the server. A non-loopback host needs a token (`--token` or `TQ_DASHBOARD_TOKEN`):
 * without one the dashboard would be open to the network. Every flag has an environment variable for containers
 * (see {@link dashboardSettings}).
 */
export async function dashboardCommand(flags: DashboardFlags, io: CliIo): Promise<void> {
  const target = resolveTarget(flags, io);
  const { host: listenHost, hostFrom, port: listenPort, readOnly, token } = dashboardSettings(flags, io.env);
  if (token === undefined && !isLoopbackListenHost(listenHost)) {
    throw usageError(
      `${hostFrom} ${listenHost} is not a loopback address: give a token (--token or TQ_DASHBOARD_TOKEN) so the dashboard is not open to the network`,
    );
  }
  if (token !== undefined && token.length < MIN_TOKEN_LENGTH) {
    throw usageError(`the dashboard token must be at least ${MIN_TOKEN_LENGTH} characters (not shown)`);
  }
  const dashboard = createDashboard({
    connection: target.url,
    prefix: target.prefix,
    readOnly,
    auth: token !== undefined ? { token } : "none",
  });
  const server = createServer(dashboard);
  try {
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(listenPort, listenHost, () => resolve());
    });
  } catch (error) {
    await dashboard.close();
    throw failure(`cannot listen on ${listenHost}:${listenPort}: ${(error as Error).message}`);
  }
  const { port } = server.address() as AddressInfo;
  const host = listenHost.includes(":") ? `[${listenHost}]` : listenHost;
  io.stdout(
    `tq dashboard on http://${host}:${port}/ (prefix ${target.prefix}${readOnly ? ", read-only" : ""}` +
      `${token !== undefined ? ", log in with the token" : ", no login: this machine only"}); Ctrl-C stops it\n`,
  );
  await io.interrupted;
  await dashboard.close();
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  io.stdout("tq dashboard stopped\n");
}
