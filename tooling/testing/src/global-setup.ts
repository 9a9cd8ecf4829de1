import type { TestProject } from "vitest/node";
import { startRedis } from "./redis-server.js";

import "./provided-context.js";

/**
 * Starts a private redis-server for a test project and gives its URL to the tests (`inject("redisUrl")`), with
 * `inject("redisTopology") === "standalone"` (see global-setup-cluster.ts for the cluster projects).
 * `TQ_TEST_REDIS_URL` points the tests at an existing Redis instead; tests then use unique prefixes and never flush.
 */
export default async function setup(project: TestProject) {
  project.provide("redisTopology", "standalone");
  const external = process.env.TQ_TEST_REDIS_URL;
  if (external) {
    project.provide("redisUrl", external);
    return;
  }
  const server = await startRedis();
  project.provide("redisUrl", server.url);
  return async () => {
    await server.stop();
  };
}
