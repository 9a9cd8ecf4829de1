import { defineProject } from "vitest/config";

// The same tests against a private Redis Cluster (3 masters, 3 replicas): see tooling/testing/src/global-setup-cluster.ts.
export default defineProject({
  test: {
    name: "cli-cluster",
    // the integration tests only: the unit tests in src/ need no Redis and run once, in the standalone project
    include: ["test/**/*.test.ts"],
    // each test runs the bin as several processes; on 2 shared cores that takes longer than vitest's 5 s default
    testTimeout: 60_000,
    globalSetup: ["../../tooling/testing/src/global-setup-cluster.ts"],
  },
});
