import { describe, expect, test } from "vitest";
import { clusterOptionsFromUrl, isClusterUrl, parseClusterUrl, redactClusterUrl } from "./cluster-url.js";
import { RedisConnection } from "./connection.js";
import { redactCredentials, urlSecrets } from "./redact-credentials.js";
import { redactUrl, UNPARSABLE_URL } from "./redact-url.js";

describe("cluster URLs", () => {
  test("redis-cluster:// lists root nodes; the credentials go to every node", () => {
    expect(clusterOptionsFromUrl("redis-cluster://alice:p%40ss@10.0.0.1:7000,node-b.example:7001")).toEqual({
      rootNodes: [{ url: "redis://10.0.0.1:7000" }, { url: "redis://node-b.example:7001" }],
      defaults: { username: "alice", password: "p@ss" },
    });
    expect(clusterOptionsFromUrl("rediss-cluster://:pw@h:7000")).toEqual({
      rootNodes: [{ url: "rediss://h:7000" }],
      defaults: { password: "pw", socket: { tls: true } },
    });
    expect(parseClusterUrl("redis-cluster://[::1]:7000,h/0").nodes).toEqual([
      { host: "[::1]", port: 7000 },
      { host: "h", port: 6379 },
    ]);
    expect(isClusterUrl("REDIS-CLUSTER://h:1")).toBe(true);
    expect(isClusterUrl("redis://h:1")).toBe(false);
  });

  test.each([
    ["redis-cluster://", /names no node/],
    ["redis-cluster://alice:SECRET@", /names no node/],
    ["redis-cluster://h:99999", /port of its node is not a number from 1 to 65535/],
    ["redis-cluster://h:SECRET", /port of its node/],
    ["redis-cluster://h:1,,h:2", /node 2 of 3 is empty/],
    ["redis-cluster://h:1,", /node 2 of 2 is empty/],
    ["redis-cluster://h:1,SECRET!x", /node 2 of 2 is not host:port/],
    ["redis-cluster://h:1/3", /database other than 0/],
    ["redis-cluster://h:1?password=SECRET", /query string/],
    ["redis-cluster://alice:%E0%A4%A@h:1", /password is not valid percent-encoding/],
  ])("%s is refused with VALIDATION, without the URL", async (url, reason) => {
    const error = await RedisConnection.open(url).then(
      () => null,
      (e: unknown) => e as Error & { code: string },
    );
    expect(error?.code).toBe("VALIDATION");
    expect(error?.message).toMatch(reason);
    expect(error?.message).toContain("redis-cluster://[user[:password]@]host:port");
    expect(error?.message).not.toContain("SECRET");
  });

  test("{ cluster } without root nodes is refused with VALIDATION", async () => {
    await expect(RedisConnection.open({ cluster: { rootNodes: [] } })).rejects.toMatchObject({
      code: "VALIDATION",
      message: expect.stringMatching(/rootNodes must list at least one node/),
    });
  });

  test("a cluster whose nodes are all unreachable fails with CONNECTION naming them, password hidden", async () => {
    const error = await RedisConnection.open("redis-cluster://alice:SECRET@127.0.0.1:1,127.0.0.1:2", {
      connectTimeoutMs: 5_000,
    }).then(
      () => null,
      (e: unknown) => e as Error & { code: string },
    );
    expect(error?.code).toBe("CONNECTION");
    expect(error?.message).toContain("redis-cluster://alice:***@127.0.0.1:1,127.0.0.1:2");
    expect(error?.message).not.toContain("SECRET");
  });

  test("redaction keeps the nodes and hides the password", () => {
    expect(redactUrl("redis-cluster://alice:p@SECRET@h:7000,h:7001")).toBe(
      "redis-cluster://alice:***@h:7000,h:7001",
    );
    expect(redactClusterUrl("rediss-cluster://SECRET@h:1")).toBe("rediss-cluster://***@h:1");
    expect(redactUrl("redis-cluster://alice:SECRET@h:notaport")).toBe(UNPARSABLE_URL);
    const url = "redis-cluster://alice:SECRET1@h:7000,h:7001";
    expect(redactCredentials(`cannot connect to ${url}: refused`, urlSecrets(url))).toBe(
      "cannot connect to redis-cluster://***@h:7000,h:7001: refused",
    );
  });
});
