import { defineProject } from "vitest/config";

export default defineProject({
  test: {
    name: "cli",
    include: ["src/**/*.test.ts", "test/**/*.test.ts"],
    // each test runs the bin as several processes; on 2 shared cores that takes longer than vitest's 5 s default
    testTimeout: 60_000,
    globalSetup: ["../../tooling/testing/src/global-setup.ts"],
  },
});
