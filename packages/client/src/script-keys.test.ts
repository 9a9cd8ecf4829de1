import { queueKeys } from "@tq/job-schema";
import { describe, expect, test } from "vitest";
import * as scripts from "./lua/scripts.generated.js";
import {
  cancelKeys,
  crashedKeys,
  enqueueKeys,
  extendKeys,
  progressKeys,
  recoverKeys,
  releaseKeys,
  resumeKeys,
  retryKeys,
  sweepKeys,
  takeKeys,
} from "./script-keys.js";

const k = queueKeys("emails.v2", "app:prod");

// What each script is given as KEYS by its caller.
const keysOf: Record<string, string[]> = {
  cancel: cancelKeys(k),
  crashed: crashedKeys(k),
  enqueue: enqueueKeys(k),
  extend: extendKeys(k),
  progress: progressKeys(k),
  recover: recoverKeys(k, "worker-1"),
  release: releaseKeys(k),
  resume: resumeKeys(k),
  retry: retryKeys(k),
  sweep: sweepKeys(k),
  take: takeKeys(k, "worker-1"),
};

/** The `local BASE = string.sub(KEYS[i], 1, -#'<suffix>' - 1)` line of a script, as [i, suffix]. */
function baseFrom(source: string): [number, string] | undefined {
  const m = /local BASE = string\.sub\(KEYS\[(\d+)\], 1, -#'([^']+)' - 1\)/.exec(source);
  return m ? [Number(m[1]), m[2] as string] : undefined;
}

describe("Lua scripts and their KEYS", () => {
  test("every script has a key list with as many keys as its name says", () => {
    for (const script of Object.values(scripts)) {
      expect(keysOf[script.name], script.name).toBeDefined();
      expect(keysOf[script.name]).toHaveLength(script.keys);
    }
  });

  test("a script that builds job keys cuts the queue's base from one of its own KEYS, never from ARGV", () => {
    for (const script of Object.values(scripts)) {
      const builds = script.source.includes("BASE");
      if (!builds) continue;
      expect(script.source, script.name).not.toMatch(/BASE\s*=\s*ARGV/);
      const from = baseFrom(script.source);
      expect(from, `${script.name} derives BASE from KEYS`).toBeDefined();
      const [index, suffix] = from as [number, string];
      const key = keysOf[script.name]?.[index - 1] as string;
      // the caller's key at that position is `<base><suffix>`, so the script's base is the queue's
      expect(key, script.name).toBe(`${k.base}${suffix}`);
    }
  });
});
