import type { IncomingMessage } from "node:http";
import type { JobStatus, Queue } from "@tq/client";
import { isTqError, isValidJobId, quote, TqError } from "@tq/job-schema";
import { isValidQueueName, JOB_STATES } from "@tq/protocol";
import { type Context, Hono } from "hono";
import { bodyLimit } from "hono/body-limit";
import { deleteCookie, getCookie, setCookie } from "hono/cookie";
import { streamSSE } from "hono/streaming";
import { readAsset } from "./assets.js";
import type { DashboardData, QueueSnapshot } from "./dashboard-data.js";
import type { LiveHub } from "./live-hub.js";
import type { ResolvedDashboardOptions } from "./options.js";
import {
  isLoopbackAddress,
  isLoopbackHost,
  isSameOrigin,
  nonce,
  SECURITY_HEADERS,
  type Signer,
  safeEqual,
} from "./security.js";
import { JobPage } from "./views/job-page.js";
import type { PageContext } from "./views/layout.js";
import { LoginPage, MessagePage } from "./views/message-page.js";
import { OverviewPage } from "./views/overview-page.js";
import { jobHref, QueuePage } from "./views/queue-page.js";
import { SchedulesPage } from "./views/schedules-page.js";
import { WorkersPage } from "./views/workers-page.js";

/** What the routes share: the options, the Redis reads, the live hub, the signer and the open event streams. */
export interface AppDeps {
  options: ResolvedDashboardOptions;
  data: DashboardData;
  hub: LiveHub;
  signer: Signer;
  /** One way to end each open event stream; `close()` calls them all. */
  streams: Set<() => void>;
  isClosed: () => boolean;
}

type Env = {
  Bindings: { incoming?: IncomingMessage };
  Variables: { csrf: string; bearer: boolean };
};

const SESSION_COOKIE = "tq_session";
const CSRF_COOKIE = "tq_csrf";
/** The largest request body read, in bytes: forms here are a few fields. */
const MAX_BODY_BYTES = 16_384;
/** A comment line on each event stream this often, in ms, so proxies do not close an idle stream. */
const KEEPALIVE_MS = 15_000;

const STATUS_TITLE: Record<number, string> = {
  400: "Bad request",
  401: "Not logged in",
  403: "Forbidden",
  404: "Not found",
  409: "Conflict",
  413: "Too large",
  503: "Redis unavailable",
};

/** The notices an action's redirect may ask for, by key: nothing from the query string is shown as is. */
const NOTICES: Record<string, (n: string) => string> = {
  paused: () => "Paused: workers claim no new jobs of this queue (running ones finish).",
  resumed: () => "Resumed: workers claim this queue's jobs again.",
  retried: () => "The job is pending again.",
  "retried-all": (n) => `${n} failed job(s) are pending again.`,
  purged: (n) => `Deleted ${n} job(s).`,
  cancelled: () =>
    "The job was cancelled: removed if it had not started; if it was running, it is failed (CANCELLED) and its worker was told to stop it.",
};

/** An error that becomes a 4xx page: tq's codes mapped to HTTP statuses. */
function statusOf(error: unknown): number {
  if (!isTqError(error)) return 500;
  switch (error.code) {
    case "VALIDATION":
      return 400;
    case "NOT_FOUND":
      return 404;
    case "INVALID_STATE":
      return 409;
    case "CONNECTION":
    case "CLOSED":
    case "NOPERM":
    case "REDIS":
      return 503;
    default:
      return 500;
  }
}

function messageOf(error: unknown, status: number): string {
  if (status === 503) {
    // no connection details: the URL (and what the driver says about it) stays on the server
    return isTqError(error) && error.code === "NOPERM"
      ? "Redis refused a command under its ACL; grant the dashboard's user read access to the queues' keys."
      : "Redis is not reachable or refused the request; the dashboard tries again on the next request.";
  }
  if (status === 500) return "Something went wrong on the server; the request was not completed.";
  return error instanceof Error ? error.message : String(error);
}

/** The dashboard's Hono app: pages, actions, the live event stream and the assets, under `options.basePath`. */
export function buildApp(deps: AppDeps): Hono<Env> {
  const { options, data, hub, signer } = deps;
  const base = options.basePath;
  const auth = options.auth;
  const app = new Hono<Env>({ strict: false });
  const routes = base ? app.basePath(base) : app;

  const pageContext = (c: Context<Env>): PageContext => ({
    base,
    readOnly: options.readOnly,
    csrf: c.get("csrf") ?? "",
    canLogOut: typeof auth === "object" && "token" in auth && !c.get("bearer"),
  });
  const message = (c: Context<Env>, status: number, text: string) =>
    c.html(
      <MessagePage
        ctx={pageContext(c)}
        status={status}
        title={STATUS_TITLE[status] ?? "Error"}
        message={text}
      />,
      status as 400,
    );

  app.onError((error, c) => {
    const status = statusOf(error);
    return message(c, status, messageOf(error, status));
  });
  app.notFound((c) => message(c, 404, "There is no such page in the dashboard."));

  // Every response, error pages included, carries the security headers.
  app.use("*", async (c, next) => {
    await next();
    for (const [name, value] of Object.entries(SECURITY_HEADERS)) {
      if (name === "Cache-Control" && c.res.headers.has(name)) continue;
      c.res.headers.set(name, value);
    }
  });

  // auth "none": only this machine, under a loopback name (a hostile page's name pointed at 127.0.0.1 is refused).
  app.use("*", async (c, next) => {
    if (deps.isClosed()) return message(c, 503, "The dashboard is shutting down.");
    if (auth === "none") {
      const remote = c.env?.incoming?.socket?.remoteAddress;
      if (!isLoopbackAddress(remote)) {
        return message(c, 403, 'This dashboard has no login (auth "none") and answers only on this machine.');
      }
      if (!isLoopbackHost(c.req.header("host"))) {
        return message(
          c,
          403,
          'This dashboard has no login (auth "none") and answers only under a loopback name such as 127.0.0.1 or localhost.',
        );
      }
    }
    // the CSRF nonce: a random cookie of this browser; forms post its signature
    let token = getCookie(c, CSRF_COOKIE);
    if (!token || !/^[A-Za-z0-9_-]{24}$/.test(token)) {
      token = nonce();
      setCookie(c, CSRF_COOKIE, token, cookieOptions(c, base));
    }
    c.set("csrf", signer.sign(`csrf.${token}`));
    c.set("bearer", false);
    await next();
  });

  // Bodies are read only up to the limit, announced (Content-Length) or not (chunked).
  app.use(
    "*",
    bodyLimit({ maxSize: MAX_BODY_BYTES, onError: (c) => message(c, 413, "The request body is too large.") }),
  );

  // Assets and the login form need no login.
  routes.get("/assets/:name", async (c) => {
    const asset = await readAsset(c.req.param("name"));
    if (!asset) return message(c, 404, "There is no such asset.");
    return c.body(new Uint8Array(asset.body), 200, {
      "Content-Type": asset.type,
      "Cache-Control": "public, max-age=3600",
    });
  });

  const tokenAuth = typeof auth === "object" && "token" in auth ? auth : undefined;
  routes.get("/login", (c) => (tokenAuth ? c.html(<LoginPage base={base} failed={false} />) : c.notFound()));
  routes.post("/login", async (c) => {
    if (!tokenAuth) return c.notFound();
    if (!sameOrigin(c)) return message(c, 403, "The login form was posted from another site.");
    const body = await c.req.parseBody();
    const given = typeof body.token === "string" ? body.token : "";
    if (!safeEqual(given, tokenAuth.token)) return c.html(<LoginPage base={base} failed />, 401);
    const expires = Date.now() + options.sessionMs;
    setCookie(c, SESSION_COOKIE, `${expires}.${signer.sign(`session.${expires}`)}`, {
      ...cookieOptions(c, base),
      maxAge: Math.floor(options.sessionMs / 1_000),
    });
    return c.redirect(`${base}/`, 303);
  });

  // Everything else: logged in first.
  routes.use("*", async (c, next) => {
    if (auth === "none") return next();
    const header = c.req.header("authorization");
    if ("token" in auth) {
      if (header !== undefined) {
        const bearer = /^Bearer (.+)$/i.exec(header)?.[1];
        if (bearer === undefined || !safeEqual(bearer, auth.token)) return unauthorized(c, "token");
        c.set("bearer", true);
        return next();
      }
      if (validSession(getCookie(c, SESSION_COOKIE))) return next();
      return unauthorized(c, "token");
    }
    const basic = /^Basic ([A-Za-z0-9+/=]+)$/i.exec(header ?? "")?.[1];
    const [user, ...rest] = basic ? Buffer.from(basic, "base64").toString("utf8").split(":") : [];
    const ok =
      user !== undefined && safeEqual(user, auth.username) && safeEqual(rest.join(":"), auth.password);
    return ok ? next() : unauthorized(c, "basic");
  });

  const validSession = (cookie: string | undefined): boolean => {
    const [expires, signature] = (cookie ?? "").split(".");
    if (!expires || !signature || !/^\d{1,15}$/.test(expires) || Number(expires) < Date.now()) return false;
    return signer.verify(`session.${expires}`, signature);
  };

  const unauthorized = (c: Context<Env>, kind: "token" | "basic") => {
    if (kind === "basic") {
      c.header("WWW-Authenticate", 'Basic realm="tq dashboard", charset="UTF-8"');
      return message(c, 401, "This dashboard needs a username and password.");
    }
    return c.html(<LoginPage base={base} failed={false} />, 401);
  };

  const sameOrigin = (c: Context<Env>) =>
    isSameOrigin({
      host: c.req.header("host"),
      origin: c.req.header("origin"),
      referer: c.req.header("referer"),
    });

  // Every other POST is an action: refused in read-only mode, else checked for origin and CSRF token. A request
  // with a bearer token cannot be forged by another site (browsers never add that header), so it skips both.
  routes.post("*", async (c, next) => {
    if (c.req.path === `${base}/logout`) return next();
    if (options.readOnly) return message(c, 403, "This dashboard is read-only: it changes nothing.");
    if (c.get("bearer")) return next();
    if (!sameOrigin(c)) return message(c, 403, "The action was posted from another site (Origin/Referer).");
    const body = await c.req.parseBody();
    const csrf = typeof body._csrf === "string" ? body._csrf : "";
    if (!safeEqual(csrf, c.get("csrf"))) {
      return message(c, 403, "The form's CSRF token is missing or stale: reload the page and try again.");
    }
    return next();
  });

  routes.post("/logout", (c) => {
    deleteCookie(c, SESSION_COOKIE, cookieOptions(c, base));
    return c.redirect(tokenAuth ? `${base}/login` : `${base}/`, 303);
  });

  // ---- pages ------------------------------------------------------------------------------------------------

  const queueOf = async (c: Context<Env>): Promise<Queue> => {
    const name = c.req.param("queue") ?? "";
    if (!isValidQueueName(name)) {
      throw new TqError(
        "VALIDATION",
        `malformed queue name ${quote(name)}: 1-200 characters of letters, digits and _ . : -`,
      );
    }
    const queue = await data.existingQueue(name);
    if (!queue) throw new TqError("NOT_FOUND", `no queue ${quote(name)} under prefix ${quote(data.prefix)}`);
    return queue;
  };
  const jobIdOf = (value: unknown): string => {
    if (typeof value !== "string" || !isValidJobId(value)) {
      throw new TqError(
        "VALIDATION",
        `malformed job id ${quote(value)}: 1-200 characters without whitespace, braces or control characters`,
      );
    }
    return value;
  };
  const noticeOf = (c: Context<Env>): string | undefined => {
    const done = c.req.query("done");
    const n = c.req.query("n") ?? "";
    const notice = done && Object.hasOwn(NOTICES, done) ? NOTICES[done] : undefined;
    return notice?.(/^\d{1,12}$/.test(n) ? n : "some");
  };

  routes.get("/", async (c) => c.html(<OverviewPage ctx={pageContext(c)} queues={await data.overview()} />));

  routes.get("/queues/:queue", async (c) => {
    const queue = await queueOf(c);
    const state = c.req.query("state") ?? "pending";
    if (!(JOB_STATES as readonly string[]).includes(state)) {
      throw new TqError("VALIDATION", `unknown state ${quote(state)}: one of ${JOB_STATES.join(", ")}`);
    }
    const pageText = c.req.query("page") ?? "1";
    if (!/^[1-9]\d{0,8}$/.test(pageText)) {
      throw new TqError("VALIDATION", `page must be a whole number from 1, got ${quote(pageText)}`);
    }
    const [snapshot, page, groups] = await Promise.all([
      data.snapshot(queue),
      data.page(queue, state as JobStatus, Number(pageText)),
      data.groups(queue),
    ]);
    return c.html(
      <QueuePage ctx={pageContext(c)} snapshot={snapshot} page={page} groups={groups} notice={noticeOf(c)} />,
    );
  });

  routes.get("/queues/:queue/job", async (c) => {
    const queue = await queueOf(c);
    const id = jobIdOf(c.req.query("id")?.trim());
    const detail = await data.job(queue, id);
    if (!detail) {
      throw new TqError(
        "NOT_FOUND",
        `queue ${quote(queue.name)} has no job ${quote(id)} (never enqueued, or removed by retention)`,
      );
    }
    return c.html(<JobPage ctx={pageContext(c)} detail={detail} notice={noticeOf(c)} />);
  });

  routes.get("/workers", async (c) => {
    const { workers, now } = await data.workers();
    return c.html(<WorkersPage ctx={pageContext(c)} workers={workers} now={now} />);
  });

  routes.get("/schedules", async (c) => {
    const { schedules, now } = await data.schedules();
    return c.html(<SchedulesPage ctx={pageContext(c)} schedules={schedules} now={now} />);
  });

  // ---- live updates -----------------------------------------------------------------------------------------

  routes.get("/live", async (c) => {
    const asked = c.req.queries("queue");
    const names = asked && asked.length > 0 ? asked : await data.queueNames();
    const queues: Queue[] = [];
    for (const name of names) {
      if (!isValidQueueName(name)) throw new TqError("VALIDATION", `malformed queue name ${quote(name)}`);
      const queue = await data.existingQueue(name);
      if (!queue)
        throw new TqError("NOT_FOUND", `no queue ${quote(name)} under prefix ${quote(data.prefix)}`);
      queues.push(queue);
    }
    return streamSSE(c, async (stream) => {
      await stream.write("retry: 3000\n\n");
      await new Promise<void>((resolve) => {
        const unsubscribe = hub.subscribe(queues, (snapshot) => {
          stream.writeSSE({ event: "stats", data: JSON.stringify(liveMessage(snapshot)) }).catch(() => {});
        });
        const keepalive = setInterval(() => {
          stream.write(": keepalive\n\n").catch(() => {});
        }, KEEPALIVE_MS);
        const end = () => {
          unsubscribe();
          clearInterval(keepalive);
          deps.streams.delete(end);
          resolve();
        };
        deps.streams.add(end);
        stream.onAbort(end);
      });
    });
  });

  // ---- actions ----------------------------------------------------------------------------------------------

  const queuePath = (queue: Queue) => `${base}/queues/${encodeURIComponent(queue.name)}`;
  // after an action: its queue's watchers see the change at once, also one no event announces (pause, resume)
  const changed = (queue: Queue) => hub.touch(queue.name);

  routes.post("/queues/:queue/pause", async (c) => {
    const queue = await queueOf(c);
    await queue.pause();
    changed(queue);
    return c.redirect(`${queuePath(queue)}?done=paused`, 303);
  });
  routes.post("/queues/:queue/resume", async (c) => {
    const queue = await queueOf(c);
    await queue.resume();
    changed(queue);
    return c.redirect(`${queuePath(queue)}?done=resumed`, 303);
  });
  routes.post("/queues/:queue/retry-all", async (c) => {
    const queue = await queueOf(c);
    const n = await queue.retryAllFailed();
    changed(queue);
    return c.redirect(`${queuePath(queue)}?state=failed&done=retried-all&n=${n}`, 303);
  });
  routes.post("/queues/:queue/purge", async (c) => {
    const queue = await queueOf(c);
    const state = (await c.req.parseBody()).state;
    if (state !== "completed" && state !== "failed") {
      throw new TqError("VALIDATION", `purge takes state completed or failed, got ${quote(state)}`);
    }
    const n = await data.purge(queue, state);
    changed(queue);
    return c.redirect(`${queuePath(queue)}?state=${state}&done=purged&n=${n}`, 303);
  });
  routes.post("/queues/:queue/job/retry", async (c) => {
    const queue = await queueOf(c);
    const id = jobIdOf((await c.req.parseBody()).id);
    if (!(await queue.retry(id))) {
      const job = await queue.getJob(id);
      if (!job) throw new TqError("NOT_FOUND", `queue ${quote(queue.name)} has no job ${quote(id)}`);
      throw new TqError(
        "INVALID_STATE",
        `job ${quote(id)} is ${job.status}; only failed jobs can be retried`,
      );
    }
    changed(queue);
    return c.redirect(`${jobHref(base, queue.name, id)}&done=retried`, 303);
  });
  routes.post("/queues/:queue/job/cancel", async (c) => {
    const queue = await queueOf(c);
    const id = jobIdOf((await c.req.parseBody()).id);
    if (!(await queue.cancel(id))) {
      throw new TqError("NOT_FOUND", `queue ${quote(queue.name)} has no job ${quote(id)}`);
    }
    changed(queue);
    return c.redirect(`${queuePath(queue)}?done=cancelled`, 303);
  });

  return app;
}

/** What the event stream sends for one queue: the figures and chart series the pages show. */
function liveMessage(snapshot: QueueSnapshot) {
  const { stats } = snapshot;
  return {
    queue: snapshot.queue,
    at: snapshot.at,
    counts: stats.counts,
    paused: stats.paused,
    workers: stats.workers,
    oldestPendingAgeMs: stats.oldestPendingAgeMs,
    completed: stats.completedPerMinute,
    failed: stats.failedPerMinute,
    waits: snapshot.waits,
  };
}

function cookieOptions(c: Context<Env>, base: string) {
  return {
    path: base || "/",
    httpOnly: true,
    sameSite: "Strict" as const,
    secure: new URL(c.req.url).protocol === "https:",
  };
}
