import { defineProject } from "vitest/config";

export default defineProject({
  test: {
    name: "package-checks",
    include: ["src/**/*.test.ts", "test/**/*.test.ts"],
  },
});
