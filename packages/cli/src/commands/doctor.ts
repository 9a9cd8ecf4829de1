import { checkMemoryPolicy } from "@tq/connection";
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
}

/** How long past its lease deadline (or run time) a job counts as left alone: no worker or scheduler reclaims it. */
export const OVERDUE_GRACE_MS = 60_000;

/** The oldest Redis tq supports: `ZRANGE … REV`, `BLMOVE`, `GETDEL` and `LPOS` came in 6.2. */
const MIN_VERSION = [6, 2] as const;

/** `INFO <section>` as a name → value map. */
async function info(session: Session, section: string): Promise<Map<string, string>> {
  const text = String(await session.send<unknown>(["INFO", section]));
  const out = new Map<string, string>();
  for (const line of text.split(/\r?\n/)) {
    const colon = line.indexOf(":");
    if (colon > 0 && !line.startsWith("#")) out.set(line.slice(0, colon), line.slice(colon + 1).trim());
  }
  return out;
}

/** One `CONFIG GET` value (the reply is a flat list, a Map or an object); null when refused. */
async function config(session: Session, name: string): Promise<string | null> {
  try {
    const reply = await session.send<unknown>(["CONFIG", "GET", name]);
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

async function policyCheck(session: Session): Promise<Check> {
  const { policy, evicting } = await checkMemoryPolicy(session.connection);
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

async function persistenceCheck(session: Session, persistence: Map<string, string>): Promise<Check> {
  const save = await config(session, "save");
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

/** Leases expired and delayed jobs overdue by more than {@link OVERDUE_GRACE_MS}: ZCOUNT each, per queue. */
async function queueChecks(session: Session, now: number): Promise<Check[]> {
  const names = await session.queueNames();
  const before = String(now - OVERDUE_GRACE_MS);
  const out: Check[] = [];
  const counts = await Promise.all(
    names.map(async (name) => {
      const k = queueKeys(name, session.prefix);
      const [expired, overdue] = await Promise.all([
        session.send<number>(["ZCOUNT", k.active, "-inf", before], k.base),
        session.send<number>(["ZCOUNT", k.scheduled, "-inf", before], k.base),
      ]);
      return { name, expired: Number(expired), overdue: Number(overdue) };
    }),
  );
  for (const { name, expired, overdue } of counts) {
    if (expired > 0) {
      out.push({
        name: "expired-leases",
        status: "fail",
        message: `queue ${name}: ${expired} active job(s) past their lease by more than ${duration(OVERDUE_GRACE_MS)}, nobody reclaims them`,
        fix: `start a worker (tq-worker --queue ${name}) or a tq-scheduler: either takes expired leases back`,
      });
    }
    if (overdue > 0) {
      out.push({
        name: "overdue-delayed",
        status: "fail",
        message: `queue ${name}: ${overdue} delayed job(s) overdue by more than ${duration(OVERDUE_GRACE_MS)}`,
        fix: `start a worker (tq-worker --queue ${name}) or a tq-scheduler: either promotes due jobs`,
      });
    }
  }
  if (out.length === 0) {
    out.push({
      name: "queues",
      status: "ok",
      message: `${names.length} queue(s): no expired leases, no overdue delayed jobs`,
    });
  }
  return out;
}

/** `tq doctor`: what bites queues in production, each with a one-line fix. Exit 1 when a check fails. */
export async function doctorCommand(flags: CommonFlags, io: CliIo): Promise<number> {
  const checks = await withSession(flags, io, async (session) => {
    const [server, persistence, memory, now] = await Promise.all([
      info(session, "server"),
      info(session, "persistence"),
      info(session, "memory"),
      session.now(),
    ]);
    return [
      versionCheck(server.get("redis_version")),
      await policyCheck(session),
      await persistenceCheck(session, persistence),
      memoryCheck(memory),
      ...(await queueChecks(session, now)),
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
