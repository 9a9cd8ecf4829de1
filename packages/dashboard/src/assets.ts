import { readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

/** A static file the pages load: its type and where it is on disk. Nothing comes from a CDN. */
interface Asset {
  type: string;
  path: () => string;
}

const require = createRequire(import.meta.url);
// this module sits one level below the package root, as src/assets.ts and as dist/index.js
const own = (name: string) => join(dirname(fileURLToPath(import.meta.url)), "..", "assets", name);

/** The dashboard's static files by the name they are served under (`<basePath>/assets/<name>`). */
const ASSETS: Readonly<Record<string, Asset>> = {
  "dashboard.js": { type: "text/javascript; charset=utf-8", path: () => own("dashboard.js") },
  "dashboard.css": { type: "text/css; charset=utf-8", path: () => own("dashboard.css") },
  "uplot.js": {
    type: "text/javascript; charset=utf-8",
    path: () => require.resolve("uplot/dist/uPlot.iife.min.js"),
  },
  "uplot.css": { type: "text/css; charset=utf-8", path: () => require.resolve("uplot/dist/uPlot.min.css") },
};

const cache = new Map<string, Promise<Buffer>>();

/** The asset named `name` (its bytes, read once) and its content type; null for any other name. */
export async function readAsset(name: string): Promise<{ type: string; body: Buffer } | null> {
  const asset = Object.hasOwn(ASSETS, name) ? ASSETS[name] : undefined;
  if (!asset) return null;
  let body = cache.get(name);
  if (!body) {
    body = readFile(asset.path());
    cache.set(name, body);
    body.catch(() => cache.delete(name));
  }
  return { type: asset.type, body: await body };
}
