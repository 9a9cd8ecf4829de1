import type { IncomingMessage, ServerResponse } from "node:http";
import { getRequestListener } from "@hono/node-server";
import { buildApp } from "./app.js";
import { DashboardData } from "./dashboard-data.js";
import { LiveHub } from "./live-hub.js";
import { type DashboardOptions, resolveDashboardOptions } from "./options.js";
import { Signer } from "./security.js";

/**
 * The dashboard as a Node request handler: `(req, res)` for `node:http`, `(req, res, next)` for Express and
 * Connect (a path outside `basePath` goes to `next`), plus `fetch` for Hono and other fetch-style servers, and
 * `close()`.
 */
export interface Dashboard {
  (req: IncomingMessage, res: ServerResponse, next?: (error?: unknown) => void): void;
  /**
   * The dashboard as a fetch handler. `env.incoming` is the Node request (`c.env` under `@hono/node-server`): its
   * remote address is what auth `"none"` checks; without it such a dashboard refuses every request.
   */
  fetch(request: Request, env?: { incoming?: IncomingMessage }): Promise<Response>;
  /** Ends every live event stream, stops the event readers and closes the Redis connections the dashboard opened. */
  close(): Promise<void>;
}

/**
 * Creates the dashboard: every queue under the prefix with its counts, throughput and wait; jobs by state with
 * retry, cancel and purge; workers and schedules; live over server-sent events. See docs/dashboard.md for the
 * security model.
 *
 * @example
 * ```ts
 * import { createServer } from "node:http";
 * import { createDashboard } from "@tq/dashboard";
 *
 * const dashboard = createDashboard({ connection: process.env.REDIS_URL, auth: { token: process.env.TQ_DASHBOARD_TOKEN! } });
 * createServer(dashboard).listen(7070, "127.0.0.1");
 * ```
 */
export function createDashboard(options: DashboardOptions): Dashboard {
  const resolved = resolveDashboardOptions(options);
  const data = new DashboardData(resolved.connection, resolved.prefix);
  const hub = new LiveHub((queue) => data.snapshot(queue));
  const streams = new Set<() => void>();
  let closed = false;
  const app = buildApp({
    options: resolved,
    data,
    hub,
    signer: new Signer(),
    streams,
    isClosed: () => closed,
  });
  const listener = getRequestListener(app.fetch, { overrideGlobalObjects: false });
  const base = resolved.basePath;
  const inside = (path: string) => base === "" || path === base || path.startsWith(`${base}/`);

  const handler = ((req: IncomingMessage, res: ServerResponse, next?: (error?: unknown) => void) => {
    // Express and Connect strip their mount path from req.url and keep the whole one in req.originalUrl
    const original = (req as { originalUrl?: unknown }).originalUrl;
    const url = typeof original === "string" ? original : (req.url ?? "/");
    const path = url.split("?")[0] ?? "/";
    if (!inside(path)) {
      if (next) return next();
      res.statusCode = 404;
      res.setHeader("Content-Type", "text/plain; charset=utf-8");
      res.end("Not found\n");
      return;
    }
    req.url = url;
    listener(req, res).catch(() => {
      if (!res.headersSent) res.statusCode = 500;
      res.end();
    });
  }) as Dashboard;

  handler.fetch = (request, env) => Promise.resolve(app.fetch(request, env ?? {}));
  handler.close = async () => {
    if (closed) return;
    closed = true;
    for (const end of [...streams]) end();
    hub.close();
    await data.close();
  };
  return handler;
}
