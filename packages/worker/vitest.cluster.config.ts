import { defineProject } from "vitest/config";

// The same tests against a private Redis Cluster (3 masters, 3 replicas): see tooling/testing/src/global-setup-cluster.ts.
export default defineProject({
  test: {
    name: "worker-cluster",
    // the integration tests only: the unit tests in src/ need no Redis and run once, in the standalone project
    include: ["test/**/*.test.ts"],
    globalSetup: ["../../tooling/testing/src/global-setup-cluster.ts"],
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
