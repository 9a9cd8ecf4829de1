import packageJson from "../package.json" with { type: "json" };

/** The version of `@tq/worker`, as its package.json says (bundled at build time: read once, never at run time). */
export const WORKER_VERSION: string = packageJson.version;
