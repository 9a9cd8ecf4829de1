import { defineProject } from "vitest/config";

export default defineProject({
  test: {
    name: "dashboard",
    include: ["src/**/*.test.ts", "test/**/*.test.ts"],
    // a real Redis, a real HTTP server and a real browser on 2 shared cores: generous limits, no timing thresholds
    testTimeout: 90_000,
    hookTimeout: 120_000,
    globalSetup: ["../../tooling/testing/src/global-setup.ts", "./test/chromium-setup.ts"],
  },
});
