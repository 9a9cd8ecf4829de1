import { defineProject } from "vitest/config";

export default defineProject({
  test: { name: "connection-unit", include: ["src/**/*.test.ts"] },
});
