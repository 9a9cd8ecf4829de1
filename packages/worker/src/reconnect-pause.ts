/**
 * How long to wait before the next attempt after `failures` failed calls in a row, in milliseconds: 50 ms after the
 * first, doubling up to 2 s.
 */
export function reconnectPauseMs(failures: number): number {
  return Math.min(2_000, 25 * 2 ** Math.min(failures, 7));
}
