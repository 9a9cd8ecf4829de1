#!/usr/bin/env tsx
// Turns every `<name>-<numKeys>.lua` in a folder into one TypeScript module (`scripts.generated.ts`), so nothing
// reads .lua files at run time. `--@include <file>` lines name helpers in `includes/`; an include may include
// others. Each script gets every helper it needs once, in dependency order, pasted where its first include line
// stands. `constants.lua` is not a file: it defines, as Lua locals, the numbers the constants module exports as
// `LUA_CONSTANTS` that the script uses, so the TypeScript and the Lua share one definition of each.
//
// Usage: tsx gen-lua.ts <folder with .lua files> <constants module>
import { createHash } from "node:crypto";
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";

const [dir, constantsModule] = process.argv.slice(2);
if (!dir || !constantsModule) {
  console.error("usage: gen-lua.ts <folder with .lua files> <constants module>");
  process.exit(2);
}

const { LUA_CONSTANTS } = (await import(pathToFileURL(resolve(constantsModule)).href)) as {
  LUA_CONSTANTS: Record<string, number>;
};
const CONSTANTS = "constants.lua";
const INCLUDE = /^--@include (\S+)\s*$/;

interface Unit {
  /** The file's lines without its include lines. */
  body: string;
  /** The includes it names, in order. */
  includes: string[];
}

function parse(text: string): Unit {
  const includes: string[] = [];
  const lines: string[] = [];
  for (const line of text.split("\n")) {
    const m = INCLUDE.exec(line);
    if (m) includes.push(m[1] as string);
    else lines.push(line);
  }
  return { body: lines.join("\n").trim(), includes };
}

const units = new Map<string, Unit>();
function unit(name: string): Unit {
  let u = units.get(name);
  if (!u) {
    u =
      name === CONSTANTS
        ? { body: "", includes: [] }
        : parse(readFileSync(join(dir, "includes", name), "utf8"));
    units.set(name, u);
  }
  return u;
}

/** The includes `roots` need, transitively, each once, every one after the includes it names. */
function closure(roots: readonly string[]): string[] {
  const order: string[] = [];
  const visiting = new Set<string>();
  const visit = (name: string, path: string[]) => {
    if (order.includes(name)) return;
    if (visiting.has(name)) throw new Error(`include cycle: ${[...path, name].join(" -> ")}`);
    visiting.add(name);
    for (const dep of unit(name).includes) visit(dep, [...path, name]);
    visiting.delete(name);
    order.push(name);
  };
  for (const root of roots) visit(root, []);
  return order;
}

// What each include defines at its top level, to check that every file includes what it uses.
const definedBy = new Map<string, string>();
for (const file of readdirSync(join(dir, "includes")).filter((f) => f.endsWith(".lua"))) {
  for (const m of unit(file).body.matchAll(/^local (?:function )?([A-Za-z_]\w*)/gm)) {
    definedBy.set(m[1] as string, file);
  }
}
for (const name of Object.keys(LUA_CONSTANTS)) definedBy.set(name, CONSTANTS);

/** Throws when `file` uses a helper or constant that its includes do not bring in. */
function checkUses(file: string, u: Unit): void {
  const own = new Set(closure(u.includes));
  const code = u.body.replace(/--.*$/gm, "");
  for (const [name, owner] of definedBy) {
    if (owner === file || own.has(owner)) continue;
    if (new RegExp(`\\b${name}\\b`).test(code)) {
      throw new Error(`${file} uses ${name} from includes/${owner} without including it`);
    }
  }
}

/** Code without its comments, for finding where a name is used. */
const uncommented = (line: string) => line.replace(/--.*$/, "");

/**
 * Drops the helpers a script never uses: within lines [from, to) (the pasted includes), a top-level
 * `local function name(` block (up to the next line that is `end` at column 0) or one-line `local NAME = …`, with the
 * comment lines right above it, whose name appears nowhere else in the script. Repeated until nothing more goes, since
 * a dropped helper may have been the only user of another. Redis runs a script's top level on every call, so each
 * helper a script defines costs each of its calls, used or not.
 */
function pruneUnused(lines: readonly string[], from: number, to: number): string[] {
  let out = [...lines];
  let end = to;
  for (;;) {
    const blocks: Array<{ name: string; start: number; stop: number }> = [];
    for (let i = from; i < end; i++) {
      const line = out[i] as string;
      const fn = /^local function ([A-Za-z_]\w*)\(/.exec(line);
      const value = fn ? null : /^local ([A-Za-z_]\w*) = (.*)$/.exec(line);
      let stop = -1;
      if (fn) {
        stop = out.indexOf("end", i + 1);
        if (stop < 0 || stop >= end) throw new Error(`gen-lua: no end at column 0 for function ${fn[1]}`);
      } else if (value && !/[{(]\s*$/.test(uncommented(line)) && !/\bfunction\b/.test(line)) {
        const code = uncommented(value[2] as string);
        const balanced = (open: string, close: string) =>
          code.split(open).length === code.split(close).length;
        if (balanced("{", "}") && balanced("(", ")")) stop = i;
      }
      if (stop < 0) continue;
      let start = i;
      while (start > from && /^--/.test(out[start - 1] as string)) start--;
      blocks.push({ name: (fn ?? value)?.[1] as string, start, stop });
      i = stop;
    }
    const unused = blocks.filter(({ name, start, stop }) => {
      const pattern = new RegExp(`\\b${name}\\b`);
      return !out.some((line, i) => (i < start || i > stop) && pattern.test(uncommented(line)));
    });
    if (unused.length === 0) return out;
    const drop = new Set<number>();
    for (const { start, stop } of unused) for (let i = start; i <= stop; i++) drop.add(i);
    out = out.filter((_, i) => !drop.has(i));
    end -= drop.size;
  }
}

const entries = readdirSync(dir)
  .filter((f) => f.endsWith(".lua"))
  .sort()
  .map((file) => {
    const match = /^([a-z][a-zA-Z]*)-(\d+)\.lua$/.exec(file);
    if (!match) throw new Error(`${file}: name must be <verb>-<numKeys>.lua`);
    const text = readFileSync(join(dir, file), "utf8");
    const lines = text.split("\n");
    const first = lines.findIndex((line) => INCLUDE.test(line));
    const script = parse(text);
    checkUses(file, script);
    const includes = closure(script.includes);
    for (const name of includes) if (name !== CONSTANTS) checkUses(name, unit(name));
    const helpers = includes.map((name) => (name === CONSTANTS ? "\u0000constants" : unit(name).body));
    let source = text;
    if (first >= 0) {
      const kept = lines.filter((line, i) => i < first || !INCLUDE.test(line));
      const own = kept.length;
      kept.splice(first, 0, ...helpers.join("\n").split("\n"));
      source = pruneUnused(kept, first, first + kept.length - own).join("\n");
    }
    if (includes.includes(CONSTANTS)) {
      const used = Object.entries(LUA_CONSTANTS).filter(([name]) => new RegExp(`\\b${name}\\b`).test(source));
      source = source.replace(
        "\u0000constants",
        used.map(([name, value]) => `local ${name} = ${value}`).join("\n"),
      );
    }
    const sha1 = createHash("sha1").update(source).digest("hex");
    // the includes that still have a helper in the script once the unused ones are dropped
    const shipped = includes.filter(
      (name) =>
        name === CONSTANTS ||
        [...unit(name).body.matchAll(/^local (?:function )?([A-Za-z_]\w*)/gm)].some((m) =>
          new RegExp(`^local (?:function )?${m[1]}\\b`, "m").test(source),
        ),
    );
    return { name: match[1] as string, numKeys: Number(match[2]), source, sha1, includes: shipped };
  });

let out = "// Generated by tooling/scripts/gen-lua.ts from the .lua files beside it. Do not edit.\n";
out += 'import type { LuaSource } from "../lua-source.js";\n\n';
for (const e of entries) {
  out +=
    `export const ${e.name}: LuaSource = {\n  name: ${JSON.stringify(e.name)},\n  numKeys: ${e.numKeys},\n` +
    `  sha1: ${JSON.stringify(e.sha1)},\n  includes: ${JSON.stringify(e.includes)},\n` +
    `  source: ${JSON.stringify(e.source)},\n};\n\n`;
}
writeFileSync(join(dir, "scripts.generated.ts"), out);
console.log(`gen-lua: ${entries.length} scripts -> ${join(dir, "scripts.generated.ts")}`);
