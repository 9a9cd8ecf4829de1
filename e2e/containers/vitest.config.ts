import { defineProject } from "vitest/config";

// Builds the Dockerfile's four images with podman (the first build installs and builds the workspace inside a
// container: minutes on 2 cores) and runs them against a private redis-server. Skips, saying why, without podman.
export default defineProject({
  test: {
    name: "containers",
    include: ["containers.test.ts"],
    testTimeout: 300_000,
    hookTimeout: 1_800_000,
  },
});
