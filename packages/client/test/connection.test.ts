import { randomBytes } from "node:crypto";
import { inspect } from "node:util";
import { clusterOptionsFromUrl, parseClusterUrl, RedisConnection } from "@tq/connection";
import { freePort, onCluster, uniquePrefix, uniqueQueue, waitFor } from "@tq/testing";
import { createClient, createCluster } from "redis";
import { describe, expect, inject, test } from "vitest";
import { Queue } from "../src/index.js";
import {
  Cleanup,
  claimAndFinish,
  errorJson,
  keysOf,
  rawClient,
  rejection,
  scanKeys,
  take,
} from "./helpers.js";

const connection = inject("redisUrl");
const cleanup = new Cleanup();
const cluster = onCluster();
/** host:port of every node (the one server when it is not a cluster). */
const nodes = cluster
  ? parseClusterUrl(connection).nodes.map((node) => `${node.host}:${node.port}`)
  : [new URL(connection).host];
const [hostname = "", port = ""] = (nodes[0] ?? "").split(":");

/** The test Redis's URL with a user and password. */
function urlWithUser(user: string, password: string): string {
  return cluster
    ? `redis-cluster://${user}:${password}@${nodes.join(",")}`
    : `redis://${user}:${password}@${hostname}:${port}`;
}

/** A node-redis client (a cluster client on the cluster) that the user created, not yet connected. */
function userClient(RESP?: 2 | 3) {
  return cluster
    ? createCluster({ ...clusterOptionsFromUrl(connection), ...(RESP ? { RESP } : {}) })
    : createClient({ url: connection, ...(RESP ? { RESP } : {}) });
}

/** Enqueues a job, completes it and waits for its result: one round of everything a producer does. */
async function roundTrip(queue: Queue): Promise<unknown> {
  const job = await queue.enqueue("t", ["x"]);
  const waiting = queue.waitForResult(job.id, { timeoutMs: 20_000 });
  await claimAndFinish(queue, [job.id], () => ({ op: "c", payload: '"ok"' }));
  return waiting;
}

describe("connection", () => {
  test("as a URL", async () => {
    const queue = cleanup.queue(new Queue(uniqueQueue("url"), { connection }));
    expect(await roundTrip(queue)).toBe("ok");
  });

  test("as a URL with a user and password", async () => {
    const raw = await rawClient(connection, cleanup);
    const user = `tq-${randomBytes(4).toString("hex")}`;
    // ACL users are per node: a cluster needs the user on every master
    await raw.everyMaster(["ACL", "SETUSER", user, "on", ">s3cret", "~*", "&*", "+@all"]);
    cleanup.add(() => raw.everyMaster(["ACL", "DELUSER", user]));
    const url = urlWithUser(user, "s3cret");
    const queue = cleanup.queue(new Queue(uniqueQueue("auth"), { connection: url }));
    expect(await roundTrip(queue)).toBe("ok");
  });

  test("as node-redis client options", async () => {
    const queue = cleanup.queue(
      new Queue(uniqueQueue("opts"), {
        connection: cluster
          ? { cluster: { rootNodes: [{ socket: { host: hostname, port: Number(port) } }] } }
          : { socket: { host: hostname, port: Number(port) } },
      }),
    );
    expect(await roundTrip(queue)).toBe("ok");
  });

  test.runIf(cluster)("as client options with a cluster URL: the options apply to every node", async () => {
    const queue = cleanup.queue(
      new Queue(uniqueQueue("opts"), { connection: { url: connection, pingInterval: 60_000 } }),
    );
    expect(await roundTrip(queue)).toBe("ok");
  });

  test.each([2, 3] as const)("as an existing RESP%i client, which tq uses but never closes", async (RESP) => {
    const client = userClient(RESP);
    client.on("error", () => {});
    await client.connect();
    cleanup.add(() => client.close());
    const queue = new Queue(uniqueQueue("own"), { connection: client });
    expect(await roundTrip(queue)).toBe("ok");
    expect(await queue.list("completed")).toHaveLength(1);
    await queue.close();
    expect(client.isOpen).toBe(true);
    // still usable by its owner
    expect(await client.exists(uniqueQueue("none"))).toBe(0);
  });

  test("an existing client that is not connected is refused with CONNECTION", async () => {
    const client = userClient();
    client.on("error", () => {});
    const queue = cleanup.queue(new Queue(uniqueQueue("own"), { connection: client }));
    const error = await rejection(queue.enqueue("t", []));
    expect(error.code).toBe("CONNECTION");
    expect(error.message).toContain("connect()");
  });

  test("an existing client its owner closed: enqueue rejects with CONNECTION instead of re-sending", async () => {
    const client = userClient();
    client.on("error", () => {});
    await client.connect();
    const queue = cleanup.queue(new Queue(uniqueQueue("own"), { connection: client }));
    await queue.enqueue("t", []);
    await client.close();
    // re-sending would go on for retryConnectionMs (15 s, beyond this test's timeout): the client never comes back
    const error = await rejection(queue.enqueue("t", []));
    expect(error.code).toBe("CONNECTION");
  });

  test("a port where nothing listens rejects with CONNECTION, not a hang", { timeout: 60_000 }, async () => {
    const dead = await freePort();
    const url = cluster ? `redis-cluster://127.0.0.1:${dead}` : `redis://127.0.0.1:${dead}`;
    const queue = cleanup.queue(new Queue(uniqueQueue("dead"), { connection: url }));
    const error = await rejection(queue.enqueue("t", []));
    expect(error.code).toBe("CONNECTION");
    expect(error.message).toContain(String(dead));
  });
});

describe("key layout", () => {
  test("every key the queue writes is under its {queue} hash tag (besides the queue registry)", async () => {
    const prefix = uniquePrefix();
    const name = uniqueQueue("keys");
    const queue = cleanup.queue(
      new Queue(name, {
        connection,
        prefix,
        retention: { completed: { count: 10 }, failed: { ageMs: 60_000 } },
      }),
    );
    const done = await queue.enqueue("t", []);
    const failed = await queue.enqueue("t", [], { maxRetries: 0 });
    const waiting = queue.waitForResult(done.id, { timeoutMs: 20_000 });
    await claimAndFinish(queue, [done.id, failed.id], (c) =>
      c.id === done.id ? { op: "c", payload: "1" } : { op: "f", payload: errorJson("x"), delayMs: -1 },
    );
    await waiting;
    await queue.enqueue("t", [], { priority: "high" });
    await queue.enqueue("t", [], { priority: "high" });
    await queue.enqueue("t", [], { priority: "low" });
    await queue.enqueue("t", []);
    await queue.enqueue("t", [], { delayMs: 60_000 });
    await take(queue, 1);
    await queue.pause();

    const raw = await rawClient(connection, cleanup);
    const keys = await scanKeys(raw, `${prefix}:*`);
    const tagged = keys.filter((k) => k.startsWith(`${prefix}:{${name}}:`));
    expect(keys.filter((k) => !tagged.includes(k))).toEqual([`${prefix}:queues`]);
    expect(await raw.sMembers(`${prefix}:queues`)).toEqual([name]);
    const k = keysOf(queue);
    for (const key of [
      k.pending.high,
      k.pending.low,
      k.scheduled,
      k.active,
      k.completed,
      k.failed,
      k.events,
      k.meta,
    ]) {
      expect(tagged).toContain(key);
    }
    expect(tagged.filter((key) => key.startsWith(`${k.base}job:`))).toHaveLength(7);
  });
});

describe("scripts", () => {
  test("survive SCRIPT FLUSH (a restart or failover empties the script cache)", async () => {
    const queue = cleanup.queue(new Queue(uniqueQueue("flush"), { connection }));
    const raw = await rawClient(connection, cleanup);
    const a = await queue.enqueue("t", []);
    await raw.sendCommand(["SCRIPT", "FLUSH"]);
    const b = await queue.enqueue("t", []);
    await raw.sendCommand(["SCRIPT", "FLUSH"]);
    expect((await take(queue, 2)).claimed.map((c) => c.id)).toEqual([a.id, b.id]);
    await raw.sendCommand(["SCRIPT", "FLUSH"]);
    const c = await queue.enqueue("t", [], { delayMs: 60_000 });
    await raw.sendCommand(["SCRIPT", "FLUSH"]);
    expect(await queue.cancel(c.id)).toBe(true);
    expect(await queue.counts()).toEqual({ scheduled: 0, pending: 0, active: 2, completed: 0, failed: 0 });
  });
});

describe("credentials", () => {
  test.each([
    ["a bad port", "redis://alice:p@SECRET@127.0.0.1:notaport"],
    ["an unclosed IPv6 host", "redis://alice:SECRET@[::1"],
    ["no scheme", "alice:SECRET@127.0.0.1:6379"],
  ])(
    "a URL with %s is refused with VALIDATION that shows no part of it, not a raw TypeError",
    async (_what, url) => {
      const queue = cleanup.queue(new Queue(uniqueQueue("badurl"), { connection: url }));
      const error = await rejection(queue.enqueue("t", []));
      expect(error.code).toBe("VALIDATION");
      expect(error.message).toContain("redis://");
      expect(error.cause).toBeUndefined();
      // nothing reachable from the error holds the password: not its message, cause, stack or own properties
      expect(inspect(error, { depth: 10 })).not.toContain("SECRET");
      expect(JSON.stringify(error)).not.toContain("SECRET");
      const options = cleanup.queue(new Queue(uniqueQueue("badurl"), { connection: { url } }));
      const fromOptions = await rejection(options.enqueue("t", []));
      expect(fromOptions.code).toBe("VALIDATION");
      expect(inspect(fromOptions, { depth: 10 })).not.toContain("SECRET");
    },
  );

  test("a password with @ in it is redacted whole when the connection fails", async () => {
    const dead = await freePort();
    const error = await rejection(
      RedisConnection.open(`redis://alice:p@SECRET@127.0.0.1:${dead}`, { connectTimeoutMs: 300 }),
    );
    expect(error.code).toBe("CONNECTION");
    expect(error.message).toContain(`redis://alice:***@127.0.0.1:${dead}`);
    expect(error.message).not.toContain("SECRET");
    expect(error.message).not.toContain("p@");
  });

  test("a command refused under the ACL is a NOPERM TqError naming the queue", async () => {
    const raw = await rawClient(connection, cleanup);
    const prefix = uniquePrefix();
    const allowed = uniqueQueue("mine");
    const forbidden = uniqueQueue("theirs");
    const user = `tq-${randomBytes(4).toString("hex")}`;
    await raw.everyMaster([
      "ACL",
      "SETUSER",
      user,
      "on",
      ">s3cret",
      `~${prefix}:queues`,
      `~${prefix}:{${allowed}}:*`,
      "&*",
      "+@all",
    ]);
    cleanup.add(() => raw.everyMaster(["ACL", "DELUSER", user]));
    const url = urlWithUser(user, "s3cret");
    const mine = cleanup.queue(new Queue(allowed, { connection: url, prefix }));
    expect((await mine.enqueue("t", [])).created).toBe(true);
    const theirs = cleanup.queue(new Queue(forbidden, { connection: url, prefix }));
    const error = await rejection(theirs.enqueue("t", []));
    expect(error.code).toBe("NOPERM");
    expect(error.message).toContain(`queue "${forbidden}"`);
    expect(error.message).toContain("NOPERM");
    expect(error.message).not.toContain("s3cret");
    expect((await rejection(theirs.counts())).code).toBe("NOPERM");
  });

  test("connectTimeoutMs must be a timer duration", async () => {
    for (const connectTimeoutMs of [0, 2 ** 31, Number.POSITIVE_INFINITY]) {
      const error = await rejection(RedisConnection.open(connection, { connectTimeoutMs }));
      expect(error.code).toBe("VALIDATION");
      expect(error.message).toContain("connectTimeoutMs");
    }
  });
});

describe("connections of their own", () => {
  test("a blocking read on a duplicate holds up no other command, and CLIENT UNBLOCK given its key ends it", async () => {
    const command = await RedisConnection.open(connection, { onError: () => {} });
    cleanup.add(() => command.close());
    const blocking = await command.duplicate();
    cleanup.add(() => blocking.close());
    const tag = uniqueQueue("block");
    const marker = `t:{${tag}}:marker`;
    // CLIENT ID and CLIENT UNBLOCK are about one node: routed by the key, they reach the node that holds the read
    const id = await blocking.send<number>(["CLIENT", "ID"], marker);
    // BZPOPMIN with timeout 0 blocks for ever: only the UNBLOCK below can end it
    const read = blocking.send<unknown>(["BZPOPMIN", marker, "0"], marker);
    await waitFor(
      async () => {
        for (const node of await (await rawClient(connection, cleanup)).masterClients()) {
          if (String(await node.sendCommand(["CLIENT", "LIST"])).includes(`id=${id} `)) {
            return /cmd=bzpopmin/.test(String(await node.sendCommand(["CLIENT", "LIST", "ID", String(id)])));
          }
        }
        return false;
      },
      { what: "the read blocked" },
    );
    // the command connection, on the same node and slot, is not held up
    expect(await command.send(["SET", `t:{${tag}}:other`, "1"], `t:{${tag}}:other`)).toBe("OK");
    expect(await command.send(["CLIENT", "UNBLOCK", String(id)], marker)).toBe(1);
    expect(await read).toBeNull();
  });

  test("a message PUBLISHed on any node reaches a subscriber on a duplicate", async () => {
    const command = await RedisConnection.open(connection, { onError: () => {} });
    cleanup.add(() => command.close());
    const subscriber = await command.duplicate();
    cleanup.add(() => subscriber.close());
    const channel = `t:{${uniqueQueue("pubsub")}}:cancel`;
    const heard: string[] = [];
    await (
      subscriber.client as unknown as { subscribe(c: string, l: (m: string) => void): Promise<void> }
    ).subscribe(channel, (message) => heard.push(message));
    const nodes = await (await rawClient(connection, cleanup)).masterClients();
    for (const [i, node] of nodes.entries()) await node.sendCommand(["PUBLISH", channel, `from ${i}`]);
    await waitFor(() => heard.length === nodes.length, { what: "every message" });
    expect(heard.sort()).toEqual(nodes.map((_, i) => `from ${i}`));
  });
});
