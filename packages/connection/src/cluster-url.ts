import { TqError } from "@tq/job-schema";
import type { RedisClusterOptions } from "redis";

/**
 * The Redis Cluster form of a connection URL: `redis-cluster://[user[:password]@]host:port[,host:port…]`, or
 * `rediss-cluster://…` for TLS. The hosts are the cluster's root nodes (any reachable one is enough to discover the
 * rest); the credentials apply to every node.
 */
export const CLUSTER_URL_FORM =
  "redis-cluster://[user[:password]@]host:port[,host:port…] (rediss-cluster:// for TLS)";

const SCHEME = /^(rediss?)-cluster:\/\//i;

/** A hostname, an IPv4 address, or an IPv6 address in brackets. */
const HOST =
  /^(?:[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*|\[[0-9A-Fa-f:.]+\])$/;

/** One root node of a cluster URL. */
export interface ClusterUrlNode {
  host: string;
  port: number;
}

/** A cluster URL taken apart. */
export interface ParsedClusterUrl {
  tls: boolean;
  username?: string;
  password?: string;
  nodes: ClusterUrlNode[];
}

/** Whether `url` is of the cluster form (`redis-cluster://` or `rediss-cluster://`). */
export function isClusterUrl(url: unknown): url is string {
  return typeof url === "string" && SCHEME.test(url.trimStart());
}

/** Why a cluster URL was refused: never quotes the URL (it may hold a password). */
function refuse(where: string, problem: string): never {
  throw new TqError(
    "VALIDATION",
    `${where} is a Redis Cluster URL, but ${problem} (the URL is not shown: it may hold a password); expected ${CLUSTER_URL_FORM}`,
  );
}

function decode(part: string, where: string, what: string): string {
  try {
    return decodeURIComponent(part);
  } catch {
    return refuse(where, `its ${what} is not valid percent-encoding (percent-encode @ : / , in it)`);
  }
}

/**
 * Takes a cluster URL apart. Throws `VALIDATION` saying what to fix: no node, an empty entry, a bad host or port,
 * a database other than 0 (a cluster has only database 0), a query string.
 */
export function parseClusterUrl(url: string, where = "connection"): ParsedClusterUrl {
  const trimmed = url.trim();
  const scheme = SCHEME.exec(trimmed);
  if (!scheme) refuse(where, "it does not start with redis-cluster:// or rediss-cluster://");
  const tls = scheme[1]?.toLowerCase() === "rediss";
  let rest = trimmed.slice(scheme[0].length);
  let username: string | undefined;
  let password: string | undefined;
  // the credentials end at the last @ (a password may hold an unencoded @)
  const at = rest.lastIndexOf("@");
  if (at >= 0) {
    const userinfo = rest.slice(0, at);
    rest = rest.slice(at + 1);
    const colon = userinfo.indexOf(":");
    const user = colon >= 0 ? userinfo.slice(0, colon) : userinfo;
    if (user !== "") username = decode(user, where, "user name");
    if (colon >= 0) password = decode(userinfo.slice(colon + 1), where, "password");
  }
  const end = rest.search(/[/?#]/);
  const hostList = end >= 0 ? rest.slice(0, end) : rest;
  const tail = end >= 0 ? rest.slice(end) : "";
  if (tail.includes("?")) refuse(where, "it has a query string, which it does not take");
  if (tail.includes("#")) refuse(where, "it has a fragment (#…), which it does not take");
  if (tail !== "" && tail !== "/" && tail !== "/0") {
    refuse(where, "it names a database other than 0 (a cluster has only database 0)");
  }
  if (hostList.trim() === "") refuse(where, "it names no node: give at least one host:port");
  const entries = hostList.split(",");
  const nodes: ClusterUrlNode[] = entries.map((raw, i) => {
    const entry = raw.trim();
    const which = entries.length > 1 ? `node ${i + 1} of ${entries.length}` : "its node";
    if (entry === "") refuse(where, `${which} is empty (two commas, or a comma at an end)`);
    const match = /^(\[[^\]]*\]|[^:[\]]+)(?::([^:]*))?$/.exec(entry);
    if (!match?.[1] || !HOST.test(match[1])) {
      refuse(where, `${which} is not host:port (a hostname, an IPv4 address or [IPv6], then :port)`);
    }
    const portText = match[2];
    let port = 6379;
    if (portText !== undefined) {
      port = /^\d{1,5}$/.test(portText) ? Number(portText) : Number.NaN;
      if (!Number.isInteger(port) || port < 1 || port > 65_535) {
        refuse(where, `the port of ${which} is not a number from 1 to 65535`);
      }
    }
    return { host: match[1], port };
  });
  return { tls, username, password, nodes };
}

/**
 * The node-redis `createCluster` options for a cluster URL: each node a root node (`redis://host:port`, or
 * `rediss://` for TLS), the credentials (and TLS) as `defaults`, so they apply to the nodes discovered too.
 */
export function clusterOptionsFromUrl(url: string, where = "connection"): RedisClusterOptions {
  const parsed = parseClusterUrl(url, where);
  const scheme = parsed.tls ? "rediss" : "redis";
  const defaults: NonNullable<RedisClusterOptions["defaults"]> = {};
  if (parsed.username !== undefined) defaults.username = parsed.username;
  if (parsed.password !== undefined) defaults.password = parsed.password;
  if (parsed.tls) defaults.socket = { tls: true };
  return {
    rootNodes: parsed.nodes.map((node) => ({ url: `${scheme}://${node.host}:${node.port}` })),
    defaults,
  };
}

/**
 * A cluster URL as it may appear in a message: the password (or a lone user name) as `***`, the nodes as given;
 * null when it does not parse (then nothing of it may be shown).
 */
export function redactClusterUrl(url: string): string | null {
  let parsed: ParsedClusterUrl;
  try {
    parsed = parseClusterUrl(url);
  } catch {
    return null;
  }
  const userinfo =
    parsed.password !== undefined
      ? `${parsed.username !== undefined ? encodeURIComponent(parsed.username) : ""}:***@`
      : parsed.username !== undefined
        ? "***@"
        : "";
  const nodes = parsed.nodes.map((node) => `${node.host}:${node.port}`).join(",");
  return `${parsed.tls ? "rediss" : "redis"}-cluster://${userinfo}${nodes}`;
}
