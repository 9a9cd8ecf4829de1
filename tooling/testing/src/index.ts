import "./provided-context.js";

export { mostAtOnce, mostStartsInAnyWindow } from "./flow-ledger.js";
export { onCluster, sleep, uniquePrefix, uniqueQueue, waitFor } from "./helpers.js";
export type { Exit, ProcessEvent, SpawnNodeOptions } from "./processes.js";
export { childPids, isAlive, NodeProcess, signal } from "./processes.js";
export type { RedisCluster, RedisClusterNode, RedisClusterOptions } from "./redis-cluster.js";
export { startCluster } from "./redis-cluster.js";
export type { RedisServer, RedisServerOptions } from "./redis-server.js";
export { freePort, redisServerBinary, startRedis } from "./redis-server.js";
export type { TestClient } from "./test-client.js";
export { connectTestClient, masterUrls, testClient } from "./test-client.js";
