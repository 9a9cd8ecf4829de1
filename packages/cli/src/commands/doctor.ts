import { checkMemoryPolicy, type RedisServerHandle } from "@tq/connection";
import { queueKeys } from "@tq/protocol";
import { EXIT } from "../cli-error.js";
import { type CommonFlags, print, withSession } from "../command-kit.js";
import { duration } from "../format.js";
import type { CliIo } from "../io.js";
import type { Session } from "../session.js";

/** One finding of `tq doctor`. */
export interface Check {
  name: string;
  status: "ok" | "warn" | "fail";
  message: string;
  /** What to do about it (a `warn` or `fail`). */
  fix?: string;
  /** On a Redis Cluster, the node (`host:port`) a server finding is about. */
  node?: string;
}

/** One server to check: the Redis itself, or one master of a cluster. */
type Server = Pick<RedisServerHandle, "send">;

/** How long past its lease deadline (or run time) a job counts as left alone: no worker or scheduler reclaims it. */
export const OVERDUE_GRACE_MS = 60_000;

/** The oldest Redis tq supports: `ZRANGE … REV`, `BLMOVE`, `GETDEL` and `LPOS` came in 6.2. */
const MIN_VERSION = [6, 2] as const;

/** `INFO <section>` as a name → value map. */
async function info(server: Server, section: string): Promise<Map<string, string>> {
  const text = String(await server.send<unknown>(["INFO", section]));
  const out = new Map<string, string>();
  for (const line of text.split(/\r?\n/)) {
    const colon = line.indexOf(":");
    if (colon > 0 && !line.startsWith("#")) out.set(line.slice(0, colon), line.slice(colon + 1).trim());
  }
  return out;
}

/** One `CONFIG GET` value (the reply is a flat list, a Map or an object); null when refused. */
async function config(server: Server, name: string): Promise<string | null> {
  try {
    const reply = await server.send<unknown>(["CONFIG", "GET", name]);
    if (reply instanceof Map) return reply.has(name) ? String(reply.get(name)) : null;
    if (Array.isArray(reply)) return reply.length >= 2 ? String(reply[1]) : null;
    if (reply && typeof reply === "object" && name in reply)
      return String((reply as Record<string, unknown>)[name]);
    return null;
  } catch {
    return null;
  }
}

function versionCheck(version: string | undefined): Check {
  const [major = 0, minor = 0] = (version ?? "").split(".").map(Number);
  const old = major < MIN_VERSION[0] || (major === MIN_VERSION[0] && minor < MIN_VERSION[1]);
  return old
    ? {
        name: "redis-version",
        status: "fail",
        message: `Redis ${version ?? "of unknown version"} is older than ${MIN_VERSION.join(".")}: some of tq's commands fail`,
        fix: `upgrade Redis to ${MIN_VERSION.join(".")} or later`,
      }
    : { name: "redis-version", status: "ok", message: `Redis ${version}` };
}

async function policyCheck(server: Server): Promise<Check> {
  const { policy, evicting } = await checkMemoryPolicy(server);
  if (policy === null) {
    return {
      name: "maxmemory-policy",
      status: "warn",
      message: "maxmemory-policy cannot be read (CONFIG GET refused)",
      fix: "check with your provider that the policy is noeviction",
    };
  }
  return evicting
    ? {
        name: "maxmemory-policy",
        status: "fail",
        message: `maxmemory-policy is ${policy}: under memory pressure Redis deletes keys, jobs among them`,
        fix: "CONFIG SET maxmemory-policy noeviction (and set it in redis.conf)",
      }
    : { name: "maxmemory-policy", status: "ok", message: `maxmemory-policy is ${policy}` };
}

async function persistenceCheck(server: Server, persistence: Map<string, string>): Promise<Check> {
  const save = await config(server, "save");
  const aof = persistence.get("aof_enabled") === "1";
  if (aof) return { name: "persistence", status: "ok", message: "append-only file on" };
  if (save === null) {
    return {
      name: "persistence",
      status: "warn",
      message: "the append-only file is off and the RDB save points cannot be read (CONFIG GET refused)",
      fix: "make sure Redis keeps its data on disk: appendonly yes, appendfsync everysec",
    };
  }
  return save.trim() !== ""
    ? {
        name: "persistence",
        status: "ok",
        message: `RDB snapshots (save ${save}); jobs since the last snapshot are lost on a crash, AOF keeps them`,
      }
    : {
        name: "persistence",
        status: "fail",
        message: "no persistence (no append-only file, no RDB save points): a restart loses every job",
        fix: "CONFIG SET appendonly yes (appendfsync everysec), and set it in redis.conf",
      };
}

function memoryCheck(memory: Map<string, string>): Check {
  const used = Number(memory.get("used_memory") ?? 0);
  const max = Number(memory.get("maxmemory") ?? 0);
  const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MB`;
  if (!(max > 0)) return { name: "memory", status: "ok", message: `${mb(used)} used, no maxmemory set` };
  const ratio = used / max;
  const message = `${mb(used)} used of maxmemory ${mb(max)} (${Math.round(ratio * 100)}%)`;
  return ratio >= 0.9
    ? {
        name: "memory",
        status: "fail",
        message: `${message}: near the limit, writes (enqueues) will fail`,
        fix: "raise maxmemory, or keep fewer finished jobs (retention, tq purge)",
      }
    : {
        name: "memory",
        status: ratio >= 0.75 ? "warn" : "ok",
        message,
        ...(ratio >= 0.75 ? { fix: "raise maxmemory before it fills" } : {}),
      };
}

/** How many job or worker ids a finding names (read with `LIMIT`, never a whole list). */
const NAMED = 5;

/** The flags of `tq doctor`. */
export interface DoctorFlags extends CommonFlags {
  /** How long past its lease or run time a job may be before it counts as left alone. */
  graceMs?: number;
}

const more = (shown: number, total: number) => (total > shown ? `, … (${total - shown} more)` : "");

/** The ids of the first `NAMED` members of a ZSET with a score up to `max`: ZRANGE … BYSCORE LIMIT. */
function firstIds(session: Session, key: string, base: string, max: string): Promise<string[]> {
  return session
    .send<string[]>(["ZRANGE", key, "-inf", max, "BYSCORE", "LIMIT", "0", String(NAMED)], base)
    .then((ids) => ids.map(String));
}

/** One queue's findings: its workers (stale ones), its expired leases and its overdue delayed jobs. */
async function oneQueue(session: Session, name: string, now: number, graceMs: number): Promise<Check[]> {
  const k = queueKeys(name, session.prefix);
  const nowText = String(now);
  const before = String(now - graceMs);
  const [workers, expired, expiredLong, overdue] = await Promise.all([
    session.queue(name).workers(),
    session.send<number>(["ZCOUNT", k.active, "-inf", nowText], k.base).then(Number),
    session.send<number>(["ZCOUNT", k.active, "-inf", before], k.base).then(Number),
    session.send<number>(["ZCOUNT", k.scheduled, "-inf", before], k.base).then(Number),
  ]);
  const stale = workers.filter((w) => w.state === "stale");
  const alive = workers.length - stale.length;
  const out: Check[] = [];
  if (stale.length > 0) {
    const named = stale
      .slice(0, NAMED)
      .map((w) => `${w.id} (${w.host} pid ${w.pid}, loop ${duration(Math.max(0, now - w.loopAt))} ago)`);
    out.push({
      name: "stale-workers",
      status: "fail",
      message: `queue ${name}: ${stale.length} stale worker(s), heartbeating but not claiming while jobs wait: ${named.join(", ")}${more(named.length, stale.length)}`,
      fix: `look at each one's Redis connection (a blocking connection that died silently, a paused client) and its event loop; restart it if it does not recover (tq workers ${name})`,
    });
  }
  // Leases run out all the time between reclaim passes; with no live worker nobody takes them back soon.
  if (expired > 0 && alive === 0) {
    const ids = await firstIds(session, k.active, k.base, nowText);
    out.push({
      name: "expired-leases",
      status: "fail",
      message: `queue ${name}: ${expired} active job(s) past their lease and no live worker to reclaim them: ${ids.join(", ")}${more(ids.length, expired)}`,
      fix: `start a worker (tq-worker --queue ${name}) or run the scheduler (tq-scheduler): either takes expired leases back`,
    });
  } else if (expiredLong > 0) {
    const ids = await firstIds(session, k.active, k.base, before);
    out.push({
      name: "expired-leases",
      status: "fail",
      message: `queue ${name}: ${expiredLong} active job(s) past their lease by more than ${duration(graceMs)} although ${alive} worker(s) are alive: ${ids.join(", ")}${more(ids.length, expiredLong)}`,
      fix: `check the workers' logs (tq workers ${name}); a tq-scheduler also takes expired leases back`,
    });
  }
  if (overdue > 0) {
    const ids = await firstIds(session, k.scheduled, k.base, before);
    out.push({
      name: "overdue-delayed",
      status: "fail",
      message: `queue ${name}: ${overdue} delayed job(s) overdue by more than ${duration(graceMs)}, nobody promotes them: ${ids.join(", ")}${more(ids.length, overdue)}`,
      fix: `start a worker (tq-worker --queue ${name}) or a tq-scheduler: either promotes due jobs`,
    });
  }
  return out;
}

/** Every known queue's findings; one `ok` line when there are none. */
async function queueChecks(session: Session, now: number, graceMs: number): Promise<Check[]> {
  const names = await session.queueNames();
  const out = (await Promise.all(names.map((name) => oneQueue(session, name, now, graceMs)))).flat();
  if (out.length === 0) {
    out.push({
      name: "queues",
      status: "ok",
      message: `${names.length} queue(s): no stale workers, no expired leases left alone, no overdue delayed jobs`,
    });
  }
  return out;
}

/** The server findings of one server: version, eviction policy, persistence, memory. */
async function serverChecks(server: Server): Promise<Check[]> {
  const [about, persistence, memory] = await Promise.all([
    info(server, "server"),
    info(server, "persistence"),
    info(server, "memory"),
  ]);
  return [
    versionCheck(about.get("redis_version")),
    await policyCheck(server),
    await persistenceCheck(server, persistence),
    memoryCheck(memory),
  ];
}

/**
 * `tq doctor`: what bites queues in production, each with a one-line fix: Redis's version, eviction policy,
 * persistence and memory (on a Redis Cluster, of every master, each finding naming its node), then per queue stale
 * workers, expired leases nobody reclaims and overdue delayed jobs. Exit 1 when a check fails.
 */
export async function doctorCommand(flags: DoctorFlags, io: CliIo): Promise<number> {
  const checks = await withSession(flags, io, async (session) => {
    const [servers, now] = await Promise.all([session.connection.servers(), session.now()]);
    const cluster = session.connection.isCluster;
    const perServer = await Promise.all(
      servers.map(async (server) =>
        (await serverChecks(server)).map((check) =>
          cluster
            ? { ...check, node: server.address, message: `node ${server.address}: ${check.message}` }
            : check,
        ),
      ),
    );
    return [
      ...(cluster
        ? [
            {
              name: "cluster",
              status: "ok" as const,
              message: `Redis Cluster, ${servers.length} master(s): ${servers.map((s) => s.address).join(", ")}`,
            },
          ]
        : []),
      ...perServer.flat(),
      ...(await queueChecks(session, now, flags.graceMs ?? OVERDUE_GRACE_MS)),
    ];
  });
  const ok = checks.every((c) => c.status !== "fail");
  print(io, flags, { ok, checks }, () => {
    const label = { ok: "ok  ", warn: "WARN", fail: "FAIL" } as const;
    const lines = checks.map(
      (c) => `${label[c.status]}  ${c.message}${c.fix ? `\n      fix: ${c.fix}` : ""}`,
    );
    return `${lines.join("\n")}\n${ok ? "no problems found" : "problems found"}\n`;
  });
  return ok ? EXIT.ok : EXIT.failure;
}
