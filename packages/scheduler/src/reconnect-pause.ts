/**
 * How long to wait before trying again after `failures` failed tries in a row, in milliseconds: 50 ms after the
 * first, doubling, at most 2 s.
 */
export function reconnectPauseMs(failures: number): number {
  return Math.min(2_000, 25 * 2 ** Math.min(failures, 7));
}
