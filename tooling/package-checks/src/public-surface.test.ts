import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { checkPublicSurface, formatFindings, type SurfacePackage } from "./public-surface.js";

const root = mkdtempSync(join(tmpdir(), "tq-surface-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** Writes a fixture package of declaration files; `links` are the packages its node_modules holds. */
function fixture(name: string, files: Record<string, string>, links: string[] = []): SurfacePackage {
  const dir = join(root, name);
  const exports: Record<string, { types: string }> = {};
  for (const file of Object.keys(files)) {
    const entry = file.replace(/\.d\.ts$/, "");
    exports[entry === "index" ? "." : `./${entry}`] = { types: `./${file}` };
  }
  const all = { ...files, "package.json": JSON.stringify({ name, type: "module", exports }) };
  for (const [file, text] of Object.entries(all)) {
    mkdirSync(dirname(join(dir, file)), { recursive: true });
    writeFileSync(join(dir, file), text);
  }
  for (const link of links) {
    mkdirSync(join(dir, "node_modules"), { recursive: true });
    symlinkSync(join(root, link), join(dir, "node_modules", link), "dir");
  }
  return { name, dir, rootTypes: join(dir, "index.d.ts") };
}

const check = (...packages: SurfacePackage[]) => formatFindings(checkPublicSurface(packages)).sort();

describe("checkPublicSurface", () => {
  it("finds nothing in a package whose public signatures use only exported and outside types", () => {
    const clean = fixture("clean", {
      "index.d.ts": `
        export { Queue, type QueueOptions, type QueueEvents, Kind } from "./queue.js";
        export type { Job } from "./job.js";
        export declare function open<T extends object>(options?: Partial<T>): Promise<Map<string, T>>;
        export * as jobs from "./jobs.js";
      `,
      "jobs.d.ts": `
        import type { Job } from "./job.js";
        export interface Page { items: Job[] }
        export declare function list(): Promise<Page>;
        export declare function first(): import("./job.js").Job;
      `,
      "queue.d.ts": `
        import type { Job } from "./job.js";
        declare class Hidden { secret: number }
        export declare enum Kind { A = "a", B = "b" }
        export interface QueueOptions { prefix?: string; kind?: Kind.A }
        export interface QueueEvents { added: [job: Job]; closed: [] }
        export declare class Queue<T = unknown> {
          #private;
          private conn;
          private other: Hidden;
          constructor(name: string, options?: QueueOptions);
          get(id: string): Promise<Job<T> | undefined>;
          on<E extends keyof QueueEvents>(event: E, listener: (...args: QueueEvents[E]) => void): this;
        }
      `,
      "job.d.ts": `export interface Job<T = unknown> { id: string; data: T; tags: ReadonlyArray<string> }`,
    });
    expect(check(clean)).toEqual([]);
  });

  it("names every type a public signature uses that the root does not export, with where it is used", () => {
    const leaky = fixture("leaky", {
      "index.d.ts": `
        export { Queue, type QueueEvents, type Settings, DEFAULTS_COPY, makeQueue, Derived } from "./queue.js";
        export { helper, stats } from "./helper.js";
      `,
      "queue.d.ts": `
        declare class Connection { open(options: ConnectOptions): Promise<Connection>; }
        interface ConnectOptions { url: string }
        interface RunRef { id: string; token: string }
        type Keys = { pending: string };
        declare const DEFAULTS: { leaseMs: number };
        declare class Base { protected baseOnly(): Secret }
        interface Secret { s: string }
        export interface Stats { pending: number }
        export declare const DEFAULTS_COPY: typeof DEFAULTS;
        export interface QueueEvents { claimed: [runs: readonly RunRef[]]; closed: [] }
        export type Settings = { nested: { keys: Keys } };
        export declare class Queue {
          private hidden: Secret;
          connection(): Promise<Connection>;
          readonly keys: Keys;
          /** @internal */
          hook(): void;
        }
        export declare function makeQueue(options: { keys?: Keys }): Queue;
        export declare class Derived extends Base {}
      `,
      "helper.d.ts": `
        /** Internal: used only by the pool. */
        export declare function helper(): void;
        export declare function stats(): import("./queue.js").Stats;
      `,
    });
    expect(check(leaky)).toEqual(
      [
        "leaky: Base (used by Derived)",
        "leaky: ConnectOptions (used by Connection.open)",
        "leaky: Connection (used by Queue.connection)",
        "leaky: DEFAULTS (used by DEFAULTS_COPY)",
        "leaky: Keys (used by Queue.keys, Settings.nested.keys, makeQueue.keys)",
        "leaky: RunRef (used by QueueEvents.claimed)",
        "leaky: Secret (used by Base.baseOnly)",
        "leaky: Stats (used by stats)",
        "leaky: Queue.hook is exported but its doc says internal",
        "leaky: helper is exported but its doc says internal",
      ].sort(),
    );
  });

  it("accepts another workspace package's root exports but not its private files", () => {
    const lib = fixture("lib", {
      "index.d.ts": `export interface Job { id: string }`,
      "internal.d.ts": `export declare class Connection { close(): Promise<void> }`,
    });
    const app = fixture(
      "app",
      {
        "index.d.ts": `
          import type { Job } from "lib";
          import type { Connection } from "lib/internal";
          export declare class Worker { job(): Job; connection(): Connection; }
        `,
      },
      ["lib"],
    );
    expect(check(lib, app)).toEqual([
      "app: Connection (used by Worker.connection; declared in lib, not exported from its root)",
    ]);
  });

  it("reports a reference that resolves to nothing instead of passing it", () => {
    const broken = fixture("broken", {
      "index.d.ts": `
        import type { Gone } from "./missing.js";
        export declare function run(): Gone;
        export declare function typo(): Strng;
      `,
    });
    expect(check(broken)).toEqual([
      "broken: Gone (used by run) does not resolve",
      "broken: Strng (used by typo) does not resolve",
    ]);
  });
});
