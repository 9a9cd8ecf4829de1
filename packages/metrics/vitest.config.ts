import { defineProject } from "vitest/config";

export default defineProject({
  test: {
    name: "metrics",
    include: ["src/**/*.test.ts", "test/**/*.test.ts"],
    globalSetup: ["../../tooling/testing/src/global-setup.ts"],
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
