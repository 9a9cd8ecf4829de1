/** A Lua script as the generate step compiled it into the package (`lua/scripts.generated.ts`). */
export interface LuaSource {
  /** The script's name: its file name without the key count. */
  readonly name: string;
  /** How many KEYS the script takes (the number in its file name). */
  readonly numKeys: number;
  /** The SHA1 of `source`, for EVALSHA. */
  readonly sha1: string;
  /** The includes pasted into it, in order. */
  readonly includes: readonly string[];
  /** The whole script, includes resolved. */
  readonly source: string;
}
