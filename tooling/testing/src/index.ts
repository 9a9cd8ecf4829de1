import "./provided-context.js";

export { mostAtOnce, mostStartsInAnyWindow } from "./flow-ledger.js";
export { sleep, uniquePrefix, uniqueQueue, waitFor } from "./helpers.js";
export type { Exit, ProcessEvent, SpawnNodeOptions } from "./processes.js";
export { childPids, isAlive, NodeProcess, signal } from "./processes.js";
export type { RedisServer, RedisServerOptions } from "./redis-server.js";
export { freePort, redisServerBinary, startRedis } from "./redis-server.js";
