import "./provided-context.js";

export { sleep, uniquePrefix, uniqueQueue, waitFor } from "./helpers.js";
export type { RedisServer, RedisServerOptions } from "./redis-server.js";
export { freePort, redisServerBinary, startRedis } from "./redis-server.js";
