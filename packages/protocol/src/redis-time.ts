/**
 * A Redis `TIME` reply (seconds and microseconds, as strings) in epoch milliseconds: the same conversion as the
 * scripts' `nowMs()` (`includes/now-ms.lua`).
 */
export function redisTimeMs(reply: readonly [unknown, unknown] | readonly unknown[]): number {
  return Number(reply[0]) * 1000 + Math.floor(Number(reply[1]) / 1000);
}
