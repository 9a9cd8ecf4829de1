import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { checkPublicSurface, formatFindings } from "../src/public-surface.js";
import { publishedPackages, workspaceRoot } from "../src/published-packages.js";

// Over the built declarations (`dist/*.d.ts`): `npm test` builds first.
const packages = publishedPackages();
const findings = checkPublicSurface(packages, {
  types: ["node"],
  typeRoots: [join(workspaceRoot, "node_modules", "@types")],
});

describe("public type surface", () => {
  it("covers every published package", () => {
    expect(packages.map((p) => p.name)).toContain("@tq/client");
  });

  it.each(packages.map((p) => p.name))("%s: every type a public signature uses is exported", (name) => {
    expect(formatFindings(findings.filter((f) => f.package === name))).toEqual([]);
  });
});
