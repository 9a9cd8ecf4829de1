import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    projects: [
      "packages/*/vitest.config.ts",
      "apps/*/vitest.config.ts",
      "tooling/*/vitest.config.ts",
      "e2e/vitest.config.ts",
      "faults/vitest.config.ts",
    ],
  },
});
