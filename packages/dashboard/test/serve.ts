import { createServer, request as httpRequest, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { createDashboard, type Dashboard, type DashboardOptions } from "../src/index.js";

/** One HTTP exchange, as the test saw it. */
export interface Reply {
  status: number;
  headers: IncomingMessage["headers"];
  body: string;
}

/** A request: method, headers and an url-encoded form body. */
export interface RequestInit {
  method?: string;
  headers?: Record<string, string>;
  form?: Record<string, string>;
}

/** A dashboard on a real `node:http` server on a free port of `host`. */
export interface Served {
  dashboard: Dashboard;
  server: Server;
  /** `http://host:port` */
  origin: string;
  host: string;
  request(path: string, init?: RequestInit): Promise<Reply>;
  /** A client that keeps the cookies it is given (a browser, without the browser). */
  browser(): Browser;
  close(): Promise<void>;
}

/** Requests with a cookie jar; `post` sends the page's Origin like a browser's form post. */
export interface Browser {
  cookies: Map<string, string>;
  get(path: string, headers?: Record<string, string>): Promise<Reply>;
  post(path: string, form: Record<string, string>, headers?: Record<string, string>): Promise<Reply>;
  /** The CSRF token in the forms of the page at `path`. */
  csrf(path?: string): Promise<string>;
}

/** Sends one request with node:http (so Host, Origin and any header are exactly what the test says). */
export function send(origin: string, path: string, init: RequestInit = {}): Promise<Reply> {
  const body = init.form ? new URLSearchParams(init.form).toString() : undefined;
  const headers: Record<string, string> = { ...(init.headers ?? {}) };
  if (body !== undefined) {
    headers["content-type"] ??= "application/x-www-form-urlencoded";
    headers["content-length"] = String(Buffer.byteLength(body));
  }
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      `${origin}${path}`,
      { method: init.method ?? (body !== undefined ? "POST" : "GET"), headers },
      (res) => {
        let text = "";
        res.setEncoding("utf8");
        res.on("data", (chunk: string) => {
          text += chunk;
        });
        res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text }));
        res.on("error", reject);
      },
    );
    req.on("error", reject);
    if (body !== undefined) req.write(body);
    req.end();
  });
}

/** The CSRF token of the first form on a page. */
export function csrfOf(html: string): string {
  const token = /name="_csrf" value="([^"]+)"/.exec(html)?.[1];
  if (!token) throw new Error("no CSRF token on the page");
  return token;
}

/** Starts a dashboard with `options` on 127.0.0.1 (or `host`) on a free port. */
export async function serve(options: DashboardOptions, host = "127.0.0.1"): Promise<Served> {
  const dashboard = createDashboard(options);
  const server = createServer(dashboard);
  await new Promise<void>((resolve) => server.listen(0, host, () => resolve()));
  const { port } = server.address() as AddressInfo;
  const origin = `http://${host}:${port}`;
  const request = (path: string, init?: RequestInit) => send(origin, path, init);
  const browser = (): Browser => {
    const cookies = new Map<string, string>();
    const keep = (reply: Reply) => {
      for (const line of reply.headers["set-cookie"] ?? []) {
        const [pair] = line.split(";");
        const [name, ...value] = (pair ?? "").split("=");
        if (name) {
          if (/max-age=0/i.test(line)) cookies.delete(name.trim());
          else cookies.set(name.trim(), value.join("="));
        }
      }
      return reply;
    };
    const cookie = () => [...cookies].map(([k, v]) => `${k}=${v}`).join("; ");
    const jar: Browser = {
      cookies,
      get: async (path, headers = {}) =>
        keep(await request(path, { headers: { cookie: cookie(), ...headers } })),
      post: async (path, form, headers = {}) =>
        keep(await request(path, { form, headers: { cookie: cookie(), origin, ...headers } })),
      csrf: async (path = "/") => csrfOf((await jar.get(path)).body),
    };
    return jar;
  };
  return {
    dashboard,
    server,
    origin,
    host,
    request,
    browser,
    close: async () => {
      await dashboard.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
