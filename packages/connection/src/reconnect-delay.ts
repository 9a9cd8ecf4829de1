/** The longest pause between two attempts after a connection failure, in milliseconds. */
export const MAX_RECONNECT_DELAY_MS = 2_000;

/**
 * How long to pause, in milliseconds, before trying again after `failures` failures in a row of a call that needs
 * Redis: 50 ms after the first, doubling to at most {@link MAX_RECONNECT_DELAY_MS} (from the seventh on).
 */
export function reconnectDelayMs(failures: number): number {
  return Math.min(MAX_RECONNECT_DELAY_MS, 25 * 2 ** Math.min(failures, 7));
}
