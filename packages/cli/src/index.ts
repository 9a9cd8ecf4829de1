export { EXIT } from "./cli-error.js";
export type { CliIo } from "./io.js";
export { processIo } from "./io.js";
export { run } from "./run.js";
