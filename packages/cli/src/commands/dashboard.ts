import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { createDashboard, isLoopbackListenHost, MIN_TOKEN_LENGTH } from "@tq/dashboard";
import { failure, usageError } from "../cli-error.js";
import type { CommonFlags } from "../command-kit.js";
import type { CliIo } from "../io.js";
import { resolveTarget } from "../session.js";

/** The flags of `tq dashboard`. */
export interface DashboardFlags extends CommonFlags {
  port: number;
  host: string;
  readOnly?: boolean;
  token?: string;
}

/** The port `tq dashboard` listens on by default. */
export const DASHBOARD_PORT = 7070;

/**
 * `tq dashboard`: serves `@tq/dashboard` on `--host`:`--port` until SIGINT/SIGTERM, then closes its event streams,
 * its Redis connections and the server. A non-loopback host needs a token (`--token` or `TQ_DASHBOARD_TOKEN`):
 * without one the dashboard would be open to the network.
 */
export async function dashboardCommand(flags: DashboardFlags, io: CliIo): Promise<void> {
  const target = resolveTarget(flags, io);
  const token = flags.token ?? (io.env.TQ_DASHBOARD_TOKEN || undefined);
  if (token === undefined && !isLoopbackListenHost(flags.host)) {
    throw usageError(
      `--host ${flags.host} is not a loopback address: give a token (--token or TQ_DASHBOARD_TOKEN) so the dashboard is not open to the network`,
    );
  }
  if (token !== undefined && token.length < MIN_TOKEN_LENGTH) {
    throw usageError(`the dashboard token must be at least ${MIN_TOKEN_LENGTH} characters (not shown)`);
  }
  const dashboard = createDashboard({
    connection: target.url,
    prefix: target.prefix,
    readOnly: flags.readOnly === true,
    auth: token !== undefined ? { token } : "none",
  });
  const server = createServer(dashboard);
  try {
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(flags.port, flags.host, () => resolve());
    });
  } catch (error) {
    await dashboard.close();
    throw failure(`cannot listen on ${flags.host}:${flags.port}: ${(error as Error).message}`);
  }
  const { port } = server.address() as AddressInfo;
  const host = flags.host.includes(":") ? `[${flags.host}]` : flags.host;
  io.stdout(
    `tq dashboard on http://${host}:${port}/ (prefix ${target.prefix}${flags.readOnly ? ", read-only" : ""}` +
      `${token !== undefined ? ", log in with the token" : ", no login: this machine only"}); Ctrl-C stops it\n`,
  );
  await io.interrupted;
  await dashboard.close();
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  io.stdout("tq dashboard stopped\n");
}
