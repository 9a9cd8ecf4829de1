import { createHash } from "node:crypto";
import { scripts as clientScripts, type LuaScript } from "@tq/client/internal";
import { fire } from "./lua/scripts.generated.js";

/**
 * The `fire` script as it runs: the client's `enqueue` script wrapped as the Lua function `enqueueJobs(KEYS, ARGV)`,
 * followed by `lua/fire-6.lua`. Built from the installed client, so a scheduled job is always stored the way
 * `Queue.enqueue` stores it.
 */
export const fireScript: LuaScript = (() => {
  const source = `local function enqueueJobs(KEYS, ARGV)\n${clientScripts.enqueue.source}\nend\n${fire.source}`;
  return {
    name: "fire",
    keys: fire.keys,
    sha1: createHash("sha1").update(source).digest("hex"),
    source,
  };
})();
