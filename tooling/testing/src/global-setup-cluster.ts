import type { TestProject } from "vitest/node";
import { startCluster } from "./redis-cluster.js";

import "./provided-context.js";

/**
 * Starts a private Redis Cluster (3 masters, 1 replica each) for a test project and gives its URL to the tests
 * (`inject("redisUrl")`, a `redis-cluster://` URL) with `inject("redisTopology") === "cluster"`.
 * `TQ_TEST_REDIS_CLUSTER_URL` points the tests at an existing cluster instead; tests then use unique prefixes and
 * never flush.
 */
export default async function setup(project: TestProject) {
  project.provide("redisTopology", "cluster");
  const external = process.env.TQ_TEST_REDIS_CLUSTER_URL;
  if (external) {
    project.provide("redisUrl", external);
    return;
  }
  const cluster = await startCluster({ masters: 3, replicasPerMaster: 1 });
  project.provide("redisUrl", cluster.url);
  return async () => {
    await cluster.stop();
  };
}
