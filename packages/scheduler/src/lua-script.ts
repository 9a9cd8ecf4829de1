// The type the generated `lua/scripts.generated.ts` refers to: the client's, so `runScript` takes these scripts.
export type { LuaScript } from "@tq/client/internal";
