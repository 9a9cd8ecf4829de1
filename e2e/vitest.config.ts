import { defineProject } from "vitest/config";

// Each test starts its own redis-server (it kills and restarts it) and its own worker processes.
export default defineProject({
  test: {
    name: "e2e",
    include: ["test/**/*.test.ts"],
    testTimeout: 120_000,
    hookTimeout: 120_000,
  },
});
