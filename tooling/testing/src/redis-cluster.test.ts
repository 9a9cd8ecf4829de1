import { existsSync } from "node:fs";
import { expect, test } from "vitest";
import { startCluster } from "./redis-cluster.js";
import { connectTestClient } from "./test-client.js";

test("startCluster: 3 masters and 3 replicas on their own ports and dirs, all removed by stop()", {
  timeout: 60_000,
}, async () => {
  const cluster = await startCluster();
  try {
    expect(cluster.nodes.map((n) => n.role)).toEqual([
      "master",
      "master",
      "master",
      "replica",
      "replica",
      "replica",
    ]);
    expect(new Set(cluster.nodes.map((n) => n.port)).size).toBe(6);
    expect(new Set(cluster.nodes.map((n) => n.dir)).size).toBe(6);
    expect(cluster.url).toBe(`redis-cluster://${cluster.nodes.map((n) => `127.0.0.1:${n.port}`).join(",")}`);
    const client = await connectTestClient(cluster.url);
    try {
      expect(client.isCluster).toBe(true);
      expect((await client.masterClients()).length).toBe(3);
      // keys of different slots land on different masters, and scanIterator finds them all
      for (let i = 0; i < 30; i++) await client.set(`t:{k${i}}`, "1");
      const keys: string[] = [];
      for await (const batch of client.scanIterator({ MATCH: "t:*" })) keys.push(...batch);
      expect(keys).toHaveLength(30);
      const perMaster = await client.everyMaster(["DBSIZE"]);
      expect(perMaster.filter((n) => Number(n) > 0).length).toBe(3);
    } finally {
      client.destroy();
    }
  } finally {
    await cluster.stop();
  }
  for (const node of cluster.nodes) expect(existsSync(node.dir)).toBe(false);
});
