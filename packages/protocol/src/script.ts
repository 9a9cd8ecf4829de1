import type { LuaSource } from "./lua-source.js";

/**
 * What the script runner needs of a connection: one raw command, routed by its first key on a cluster.
 * `@tq/connection`'s `RedisConnection` satisfies it.
 */
export interface ScriptSender {
  /**
   * Sends one raw command; `firstKey` routes it on a cluster. `offlineTimeoutMs` shortens how long a command sent
   * while the connection is down waits for it to come back.
   */
  send<T>(args: readonly string[], firstKey?: string, offlineTimeoutMs?: number): Promise<T>;
}

/** Options for one script call. */
export interface RunOptions {
  /** How long, in milliseconds, a call made while the connection is down waits for it (see {@link ScriptSender}). */
  offlineTimeoutMs?: number;
}

/**
 * A Lua script as data: its source and SHA (from the generate step), and how a call's typed input becomes its KEYS
 * and ARGV and its reply a typed result. `Keys` is the key layout it reads its KEYS from (a queue's or the prefix's
 * schedule keys).
 */
export interface ScriptDefinition<Keys, Input, Reply> extends LuaSource {
  /** The script's KEYS for one call, in the order its header lists them ({@link LuaSource.numKeys} of them). */
  keys(keys: Keys, input: Input): string[];
  /** The script's ARGV for one call. */
  args(input: Input): string[];
  /** The script's reply, typed. */
  parseReply(raw: unknown): Reply;
}

/** The arguments after the keys of a script call: the input (optional when the script takes none) and options. */
export type ScriptCallArgs<Input> = undefined extends Input
  ? [input?: Input, options?: RunOptions]
  : [input: Input, options?: RunOptions];

/**
 * A script that can be called: `take(connection, keys, { workerId, leaseMs, claim, acks })` runs it with
 * {@link runScript}; its properties are its {@link ScriptDefinition}.
 */
export type Script<Keys, Input, Reply> = ScriptDefinition<Keys, Input, Reply> &
  ((sender: ScriptSender, keys: Keys, ...rest: ScriptCallArgs<Input>) => Promise<Reply>);

/** Builds a callable {@link Script} from a generated source and its keys, args and reply parser. */
export function defineScript<Keys, Input, Reply>(
  lua: LuaSource,
  parts: Pick<ScriptDefinition<Keys, Input, Reply>, "keys" | "args" | "parseReply">,
): Script<Keys, Input, Reply> {
  const definition: ScriptDefinition<Keys, Input, Reply> = {
    name: lua.name,
    numKeys: lua.numKeys,
    sha1: lua.sha1,
    includes: lua.includes,
    source: lua.source,
    keys: parts.keys,
    args: parts.args,
    parseReply: parts.parseReply,
  };
  const call = (sender: ScriptSender, keys: Keys, ...rest: ScriptCallArgs<Input>) =>
    runScript(sender, definition, keys, rest[0] as Input, rest[1]);
  // `name` is a function's own read-only property: redefine it rather than assign it
  for (const [key, value] of Object.entries(definition)) {
    Object.defineProperty(call, key, { value, enumerable: true, writable: false, configurable: true });
  }
  return call as Script<Keys, Input, Reply>;
}

function isNoScript(error: unknown): boolean {
  return error instanceof Error && error.message.startsWith("NOSCRIPT");
}

/**
 * Runs a script by its SHA1 and falls back to sending its source when Redis does not have it cached (after a
 * restart, a failover or `SCRIPT FLUSH`); EVAL also caches it again for the next call. The call is routed by its
 * first key. Throws when the script's `keys` do not give as many keys as its file name says.
 */
export async function runScript<Keys, Input, Reply>(
  sender: ScriptSender,
  script: ScriptDefinition<Keys, Input, Reply>,
  keys: Keys,
  input: Input,
  options: RunOptions = {},
): Promise<Reply> {
  const keyList = script.keys(keys, input);
  if (keyList.length !== script.numKeys) {
    throw new Error(`script ${script.name} takes ${script.numKeys} keys, got ${keyList.length}`);
  }
  const tail = [String(keyList.length), ...keyList, ...script.args(input)];
  const { offlineTimeoutMs } = options;
  let raw: unknown;
  try {
    raw = await sender.send<unknown>(["EVALSHA", script.sha1, ...tail], keyList[0], offlineTimeoutMs);
  } catch (error) {
    if (!isNoScript(error)) throw error;
    raw = await sender.send<unknown>(["EVAL", script.source, ...tail], keyList[0], offlineTimeoutMs);
  }
  return script.parseReply(raw);
}
