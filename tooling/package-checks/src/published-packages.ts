import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

/** The monorepo's root folder. */
export const workspaceRoot = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..", "..");

/** The fields of a package.json these checks read. */
export interface PackageManifest {
  name: string;
  version: string;
  private?: boolean;
  types?: string;
  exports?: unknown;
}

/** A package that is published: a `packages/*` folder whose package.json is not `"private": true`. */
export interface PublishedPackage {
  name: string;
  /** Absolute path of the package's folder. */
  dir: string;
  manifest: PackageManifest;
  /** Absolute path of the type declarations of the package root (`"."`) as an ESM importer resolves them. */
  rootTypes: string;
}

/** Every published package of the workspace, by name. */
export function publishedPackages(root: string = workspaceRoot): PublishedPackage[] {
  const parent = join(root, "packages");
  const found: PublishedPackage[] = [];
  for (const entry of readdirSync(parent, { withFileTypes: true })) {
    if (!entry.isDirectory()) continue;
    const dir = join(parent, entry.name);
    let text: string;
    try {
      text = readFileSync(join(dir, "package.json"), "utf8");
    } catch {
      continue;
    }
    const manifest = JSON.parse(text) as PackageManifest;
    if (manifest.private === true) continue;
    found.push({ name: manifest.name, dir, manifest, rootTypes: join(dir, rootTypesPath(manifest)) });
  }
  return found.sort((a, b) => a.name.localeCompare(b.name));
}

/**
 * The path (relative to the package) of the declarations an `import` of the package root resolves to: the `types`
 * condition under `exports["."]` (preferring the `import` branch), else the top-level `types` field.
 */
export function rootTypesPath(manifest: PackageManifest): string {
  const exports = manifest.exports;
  const root =
    typeof exports === "object" && exports !== null && "." in exports
      ? (exports as Record<string, unknown>)["."]
      : exports;
  const fromExports = typesCondition(root);
  const path = fromExports ?? manifest.types;
  if (path === undefined) {
    throw new Error(
      `${manifest.name}: package.json names no type declarations for its root ("." in exports)`,
    );
  }
  return path;
}

function typesCondition(value: unknown): string | undefined {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return undefined;
  const conditions = value as Record<string, unknown>;
  if (typeof conditions.types === "string") return conditions.types;
  for (const key of ["import", "default", "node"]) {
    const nested = typesCondition(conditions[key]);
    if (nested !== undefined) return nested;
  }
  return undefined;
}
