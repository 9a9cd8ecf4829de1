import { createServer, type Server } from "node:http";
import { TqError } from "@tq/job-schema";
import type { MetricsReply } from "./pool-metrics.js";

/** One child as `/healthz` reports it. */
export interface ChildHealth {
  index: number;
  pid: number;
  /** Why the child is not consuming; `undefined` when it is. */
  problem: string | undefined;
}

/**
 * The pool's `GET /healthz` (for a Kubernetes liveness probe): 200 only while every child is consuming, 503 with a
 * short JSON body naming the children that are not. With `metrics`, it serves `GET /metrics` too (the same port as
 * the health endpoint, or a server of its own with `children` undefined). Plain `node:http`: two endpoints need no
 * framework.
 */
export class PoolHealthServer {
  readonly #server: Server;
  readonly #what: string;

  constructor(
    children: (() => ChildHealth[] | undefined) | undefined,
    metrics?: () => Promise<MetricsReply>,
  ) {
    this.#what = children ? (metrics ? "health and metrics" : "health") : "metrics";
    this.#server = createServer((req, res) => {
      const path = (req.url ?? "/").split("?")[0];
      if (req.method === "GET" && path === "/metrics" && metrics) {
        metrics().then(
          ({ contentType, body }) => res.writeHead(200, { "content-type": contentType }).end(body),
          (error: unknown) =>
            res
              .writeHead(500, { "content-type": "text/plain" })
              .end(`metrics failed: ${error instanceof Error ? error.message : String(error)}\n`),
        );
        return;
      }
      if (req.method !== "GET" || path !== "/healthz" || !children) {
        res.writeHead(404, { "content-type": "text/plain" }).end("not found\n");
        return;
      }
      const list = children();
      const failing = list?.filter((child) => child.problem !== undefined) ?? [];
      const ok = list !== undefined && failing.length === 0;
      const body = ok
        ? { ok: true, children: list.length }
        : {
            ok: false,
            reason: list === undefined ? "the pool is not running" : undefined,
            children: failing.map(({ index, pid, problem }) => ({ index, pid, problem })),
          };
      res.writeHead(ok ? 200 : 503, { "content-type": "application/json" }).end(`${JSON.stringify(body)}\n`);
    });
  }

  /** Listens on `host:port` (port 0: any free port). Resolves with the port. */
  listen(port: number, host: string): Promise<number> {
    return new Promise((resolve, reject) => {
      const onError = (error: Error) =>
        reject(
          new TqError(
            "VALIDATION",
            `${this.#what} server cannot listen on ${host}:${port}: ${error.message}`,
          ),
        );
      this.#server.once("error", onError);
      this.#server.listen(port, host, () => {
        this.#server.off("error", onError);
        const address = this.#server.address();
        resolve(typeof address === "object" && address ? address.port : port);
      });
    });
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      this.#server.close(() => resolve());
      this.#server.closeAllConnections();
    });
  }
}
