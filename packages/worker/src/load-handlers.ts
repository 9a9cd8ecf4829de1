import { existsSync } from "node:fs";
import { isAbsolute, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { quote, TqError } from "@tq/job-schema";
import type { Handlers } from "./handlers.js";
import { thrownMessage } from "./serialize-error.js";

/**
 * Turns the `module` option of a pool (a path, relative to the current directory, or a URL) into the URL that
 * child processes import. Throws `VALIDATION` when a local file does not exist.
 */
export function resolveHandlersModule(module: string | URL): string {
  let url: URL;
  if (module instanceof URL) {
    url = module;
  } else if (typeof module === "string" && module.length > 0) {
    // "C:\x" or "./x" are paths; "file:", "data:", "https:" are URLs.
    url = /^[a-z][a-z0-9+.-]+:/i.test(module) ? new URL(module) : pathToFileURL(resolve(module));
  } else {
    throw new TqError(
      "VALIDATION",
      `module must be the path or URL of a handlers module, got ${quote(module)}`,
    );
  }
  if (url.protocol === "file:") {
    const path = fileURLToPath(url);
    if (!isAbsolute(path) || !existsSync(path)) {
      throw new TqError(
        "VALIDATION",
        `handlers module not found: ${quote(path)} (build it first, or check the path; relative paths start at ${quote(process.cwd())})`,
      );
    }
  }
  return url.href;
}

function isHandlerMap(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function describeExports(mod: Record<string, unknown>): string {
  const names = Object.keys(mod);
  return names.length > 0 ? names.map((n) => quote(n)).join(", ") : "nothing";
}

/**
 * Finds the handlers object in a loaded module: its default export, or a named `handlers` export. Works for ESM and
 * CommonJS (`module.exports = { ... }`, `exports.handlers = { ... }`, and `exports.default` as compilers emit it).
 */
export function pickHandlers(mod: Record<string, unknown>, where: string): Handlers {
  const candidates: unknown[] = [];
  if (isHandlerMap(mod.handlers)) candidates.push(mod.handlers);
  const def = mod.default;
  if (isHandlerMap(def)) {
    // CommonJS seen from ESM: `default` is module.exports, which may itself hold `handlers` or a compiled `default`.
    if (isHandlerMap(def.handlers)) candidates.push(def.handlers);
    else if (def.__esModule === true && isHandlerMap(def.default)) candidates.push(def.default);
    else candidates.push(def);
  }
  const handlers = candidates[0];
  if (!isHandlerMap(handlers)) {
    throw new TqError(
      "VALIDATION",
      `handlers module ${quote(where)} must export its handlers (an object of functions by task name) as its default export or as a named "handlers" export; it exports ${describeExports(mod)}`,
    );
  }
  const out: Handlers = {};
  for (const [name, fn] of Object.entries(handlers)) {
    if (name === "__esModule") continue;
    if (typeof fn !== "function") {
      throw new TqError(
        "VALIDATION",
        `handlers module ${quote(where)}: the handler for task ${quote(name)} must be a function, got ${fn === null ? "null" : typeof fn}`,
      );
    }
    out[name] = fn as Handlers[string];
  }
  if (Object.keys(out).length === 0) {
    throw new TqError("VALIDATION", `handlers module ${quote(where)} exports no handlers`);
  }
  return out;
}

/** Imports a handlers module (ESM or CommonJS) by URL and returns its handlers. */
export async function loadHandlers(moduleUrl: string): Promise<Handlers> {
  let mod: Record<string, unknown>;
  try {
    mod = (await import(moduleUrl)) as Record<string, unknown>;
  } catch (cause) {
    throw new TqError(
      "VALIDATION",
      `cannot load handlers module ${quote(moduleUrl)}: ${thrownMessage(cause)}`,
      {
        cause,
      },
    );
  }
  return pickHandlers(mod, moduleUrl);
}
