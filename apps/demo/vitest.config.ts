import { defineProject } from "vitest/config";

export default defineProject({
  test: {
    name: "demo",
    include: ["test/**/*.test.ts"],
    globalSetup: ["../../tooling/testing/src/global-setup.ts"],
    testTimeout: 120_000,
  },
});
