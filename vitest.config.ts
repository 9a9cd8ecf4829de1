import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    // the JSON report lets CI print one "N passed, N failed" line
    reporters: ["default", ["json", { outputFile: ".tmp/test-results.json" }]],
    projects: [
      "packages/*/vitest.config.ts",
      // the integration tests of client, worker, scheduler and cli again, on a Redis Cluster
      "packages/*/vitest.cluster.config.ts",
      "apps/*/vitest.config.ts",
      "tooling/*/vitest.config.ts",
      "tooling/testing/harness/vitest.config.ts",
      "e2e/vitest.config.ts",
      "e2e/containers/vitest.config.ts",
      "faults/vitest.config.ts",
      "bench/vitest.config.ts",
    ],
  },
});
