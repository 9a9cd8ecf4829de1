import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, test } from "vitest";
import {
  DEFAULT_RETENTION,
  ENQUEUE_ARGS_PER_JOB,
  LUA_CONSTANTS,
  MAX_EVENT_IDS,
  MAX_EVENTS,
  MIN_EVENTS,
} from "./constants.js";
import * as generated from "./lua/scripts.generated.js";
import { prepareJob } from "./prepare-job.js";

const luaDir = join(import.meta.dirname, "lua");
const luaFiles = [
  ...readdirSync(luaDir).filter((f) => f.endsWith(".lua")),
  ...readdirSync(join(luaDir, "includes")).map((f) => join("includes", f)),
].map((file) => ({ file, text: readFileSync(join(luaDir, file), "utf8") }));

describe("constants shared by the Lua and the TypeScript", () => {
  test("no .lua file defines a shared constant itself: each comes from constants.ts", () => {
    for (const { file, text } of luaFiles) {
      for (const name of Object.keys(LUA_CONSTANTS)) {
        expect(text, `${file} defines ${name}`).not.toMatch(new RegExp(`local ${name}\\s*=`));
      }
    }
  });

  test("every script that uses a constant gets it with the TypeScript value, once", () => {
    for (const script of Object.values(generated)) {
      for (const [name, value] of Object.entries(LUA_CONSTANTS)) {
        if (!new RegExp(`\\b${name}\\b`).test(script.source)) continue;
        const definitions = script.source.match(new RegExp(`^local ${name} = (.*)$`, "gm")) ?? [];
        expect(definitions, `${script.name}: ${name}`).toEqual([`local ${name} = ${value}`]);
      }
    }
  });

  test("the event stream is trimmed only where events are flushed, by the shared cap", () => {
    for (const { file, text } of luaFiles) {
      const caps = [...text.matchAll(/'MAXLEN', '~', ([^,]+),/g)].map((m) => m[1]);
      expect(caps, file).toEqual(file.endsWith("includes/events.lua") ? ["cap"] : []);
    }
    expect(LUA_CONSTANTS.MAX_EVENTS).toBe(MAX_EVENTS);
    expect(MIN_EVENTS).toBeLessThan(MAX_EVENTS);
    expect(MAX_EVENT_IDS).toBeGreaterThanOrEqual(MAX_EVENTS);
  });

  test("retention defaults in the Lua are DEFAULT_RETENTION", () => {
    expect(LUA_CONSTANTS.DEFAULT_KEEP_COMPLETED).toBe(DEFAULT_RETENTION.completed.count);
    expect(LUA_CONSTANTS.DEFAULT_KEEP_FAILED).toBe(DEFAULT_RETENTION.failed.count);
    expect(LUA_CONSTANTS.DEFAULT_COMPLETED_AGE_MS).toBe(DEFAULT_RETENTION.completed.ageMs);
    expect(LUA_CONSTANTS.DEFAULT_FAILED_AGE_MS).toBe(DEFAULT_RETENTION.failed.ageMs);
  });

  test("a prepared job takes ENQUEUE_ARGS_PER_JOB values of the enqueue script's ARGV", () => {
    expect(prepareJob("t", [1], { delayMs: 5 }, 1024).argv).toHaveLength(ENQUEUE_ARGS_PER_JOB);
  });

  test("Redis TIME is turned into milliseconds in one include, which every script reading the clock uses", () => {
    for (const { file, text } of luaFiles) {
      if (file === join("includes", "now-ms.lua")) continue;
      expect(text, file).not.toContain("redis.call('TIME')");
    }
    for (const script of Object.values(generated)) {
      if (script.source.includes("redis.call('TIME')")) expect(script.includes).toContain("now-ms.lua");
    }
  });
});

describe("includes", () => {
  test("each script carries each helper it includes once, and only includes whose helpers it uses", () => {
    const definedIn = (text: string) =>
      [...text.matchAll(/^local (?:function )?(\w+)/gm)].map((m) => m[1] as string);
    for (const script of Object.values(generated)) {
      expect(new Set(script.includes).size, script.name).toBe(script.includes.length);
      for (const name of definedIn(script.source)) {
        const definitions = script.source.match(new RegExp(`^local (function )?${name}\\b`, "gm"));
        expect(definitions, `${script.name}: ${name}`).toHaveLength(1);
      }
      for (const include of script.includes) {
        if (include === "constants.lua") continue;
        const text = luaFiles.find((f) => f.file === join("includes", include))?.text ?? "";
        const used = definedIn(text).some(
          (name) => (script.source.match(new RegExp(`\\b${name}\\b`, "g")) ?? []).length > 1,
        );
        expect(used, `${script.name} ships ${include} without using it`).toBe(true);
      }
    }
  });
});
