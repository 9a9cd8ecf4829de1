import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import type { TestProject } from "vitest/node";

/** Where the Debian chromium package puts the browser. */
export const CHROMIUM = "/usr/bin/chromium";

declare module "vitest" {
  export interface ProvidedContext {
    /** The browser to drive, or why there is none (the browser tests are then skipped, saying so). */
    chromium: { path: string } | { missing: string };
  }
}

/**
 * Installs Debian's chromium when `/usr/bin/chromium` is missing (apt-get, with sudo when not root) for the browser
 * tests. When it cannot be installed they are skipped with the reason, instead of failing on a machine without one.
 */
export default function setup(project: TestProject) {
  if (!existsSync(CHROMIUM)) {
    const sudo = process.getuid?.() === 0 ? [] : ["sudo", "-n"];
    const run = (args: string[]) => {
      const [cmd, ...rest] = [...sudo, ...args];
      return spawnSync(cmd as string, rest, {
        stdio: ["ignore", "ignore", "pipe"],
        encoding: "utf8",
        env: { ...process.env, DEBIAN_FRONTEND: "noninteractive" },
        timeout: 600_000,
      });
    };
    run(["apt-get", "update", "-q"]);
    const install = run(["apt-get", "install", "-y", "-q", "chromium"]);
    if (!existsSync(CHROMIUM)) {
      const why = (install.error?.message ?? install.stderr ?? "").trim().split("\n").pop() ?? "";
      project.provide("chromium", {
        missing: `apt-get install -y chromium did not provide ${CHROMIUM}: ${why}`,
      });
      return;
    }
  }
  project.provide("chromium", { path: CHROMIUM });
}
