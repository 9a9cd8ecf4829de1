import { existsSync, readFileSync, renameSync, writeFileSync } from "node:fs";

export const START_MARKER = "<!-- bench:start -->";
export const END_MARKER = "<!-- bench:end -->";

/**
 * Replaces the text between the bench markers in `file`, leaving everything else as it is. Creates the file (with
 * a title and the markers) when it does not exist, and appends the markers when the file has none.
 */
export function writeRegion(file: string, body: string): void {
  const region = `${START_MARKER}\n${body}\n${END_MARKER}`;
  let text: string;
  if (!existsSync(file)) {
    text = `# Benchmarks\n\n${region}\n`;
  } else {
    const current = readFileSync(file, "utf8");
    const start = current.indexOf(START_MARKER);
    const end = current.indexOf(END_MARKER);
    if (start >= 0 && end > start) {
      text = current.slice(0, start) + region + current.slice(end + END_MARKER.length);
    } else {
      text = `${current.trimEnd()}\n\n${region}\n`;
    }
  }
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, text);
  renameSync(tmp, file);
}
