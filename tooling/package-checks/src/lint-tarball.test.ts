import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { attwProblems, publintMessages } from "./lint-tarball.js";
import { packPackage } from "./pack.js";

const root = mkdtempSync(join(tmpdir(), "tq-lint-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

async function packFixture(
  name: string,
  manifest: object,
  files: Record<string, string>,
): Promise<Uint8Array> {
  const dir = join(root, name);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, "package.json"), JSON.stringify({ name, version: "1.0.0", ...manifest }));
  for (const [file, text] of Object.entries(files)) writeFileSync(join(dir, file), text);
  return packPackage(dir, root);
}

const files = {
  "index.js": "export const a = 1;\n",
  "index.cjs": "exports.a = 1;\n",
  "index.d.ts": "export declare const a: number;\n",
  "index.d.cts": "export declare const a: number;\n",
};

describe("publintMessages and attwProblems", () => {
  it("find nothing in a dual package whose CJS entry has CJS types", async () => {
    const tarball = await packFixture(
      "dual",
      {
        type: "module",
        license: "MIT",
        engines: { node: ">=20" },
        main: "./index.cjs",
        types: "./index.d.cts",
        sideEffects: false,
        exports: {
          ".": {
            import: { types: "./index.d.ts", default: "./index.js" },
            require: { types: "./index.d.cts", default: "./index.cjs" },
          },
        },
      },
      files,
    );
    expect(await publintMessages(tarball)).toEqual([]);
    expect(await attwProblems(tarball)).toEqual([]);
  });

  it("report ESM types given to require, and a subpath node10 cannot resolve", async () => {
    const tarball = await packFixture(
      "masquerading",
      {
        type: "module",
        license: "MIT",
        main: "./index.cjs",
        exports: {
          ".": { types: "./index.d.ts", import: "./index.js", require: "./index.cjs" },
          "./extra": { types: "./index.d.ts", default: "./index.js" },
        },
      },
      files,
    );
    expect(await publintMessages(tarball)).toContainEqual(
      expect.stringContaining("EXPORTS_TYPES_INVALID_FORMAT"),
    );
    expect(await attwProblems(tarball)).toEqual(
      expect.arrayContaining([
        "Types are ESM, but implementation is CJS: ./index.d.ts / ./index.cjs",
        'Resolution failed: "./extra" under node10',
      ]),
    );
  });
});
