import type { QueueKeys } from "../keys.js";
import { resume as lua } from "../lua/scripts.generated.js";
import { defineScript } from "../script.js";

/** `resume-2.lua`: lets workers claim again after a pause, and wakes one idle worker. */
export const resume = defineScript<QueueKeys, undefined, void>(lua, {
  keys: (k) => [k.meta, k.marker],
  args: () => [],
  parseReply: () => undefined,
});
