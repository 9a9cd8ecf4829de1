import { defineProject } from "vitest/config";

// Each scenario starts its own redis-server (it kills, pauses and restarts it) and its own worker processes.
// Files run one at a time: the scenarios measure recovery times and share two cores with Redis and the workers.
export default defineProject({
  test: {
    name: "faults",
    include: ["test/**/*.test.ts"],
    testTimeout: 180_000,
    hookTimeout: 60_000,
    fileParallelism: false,
  },
});
