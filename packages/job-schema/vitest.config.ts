import { defineProject } from "vitest/config";

export default defineProject({
  test: { name: "job-schema-unit", include: ["src/**/*.test.ts"] },
});
