import { defineConfig, type Options } from "tsup";

/** The one tsup config every published package reuses: ESM + CJS + types from `src/index.ts`. */
export function packageConfig(overrides: Options = {}) {
  return defineConfig({
    entry: ["src/index.ts"],
    format: ["esm", "cjs"],
    dts: true,
    sourcemap: true,
    clean: true,
    target: "node20",
    platform: "node",
    splitting: false,
    treeshake: true,
    ...overrides,
  });
}

/** The tsup config of the example apps: ESM entry points to run with `node`, no type declarations. */
export function appConfig(entry: string[], overrides: Options = {}) {
  return defineConfig({
    entry,
    format: ["esm"],
    dts: false,
    sourcemap: true,
    clean: true,
    target: "node20",
    platform: "node",
    splitting: false,
    ...overrides,
  });
}
