/** The UTF-8 byte length of `text` when it may exceed `maxBytes` (a string of n units takes at most 3n bytes). */
export function bytesOver(text: string, maxBytes: number): number | false {
  if (text.length * 3 <= maxBytes) return false;
  const bytes = Buffer.byteLength(text, "utf8");
  return bytes > maxBytes ? bytes : false;
}
