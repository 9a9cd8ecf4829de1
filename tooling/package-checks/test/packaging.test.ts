import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { attwProblems, publintMessages } from "../src/lint-tarball.js";
import { packPackage } from "../src/pack.js";
import { publishedPackages } from "../src/published-packages.js";

// Each package is packed once, as it would be published, and both linters read that one tarball.
const packages = publishedPackages();
const destination = mkdtempSync(join(tmpdir(), "tq-pack-"));
afterAll(() => rmSync(destination, { recursive: true, force: true }));
const tarballs = new Map(packages.map((p) => [p.name, packPackage(p.dir, destination)]));
// A failed pack fails its package's tests, not the file.
for (const tarball of tarballs.values()) tarball.catch(() => {});

describe.each(packages.map((p) => p.name))("%s, packed", (name) => {
  it("publint --strict has nothing to say", async () => {
    expect(await publintMessages(await tarballs.get(name)!)).toEqual([]);
  });

  it("attw --pack finds no problem", async () => {
    expect(await attwProblems(await tarballs.get(name)!)).toEqual([]);
  });
});
