/** The value at quantile `q` (0..1) of an ascending array, nearest-rank. */
export function percentile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[rank] as number;
}

/** Median, min and max of a set of measurements. */
export interface Spread {
  median: number;
  min: number;
  max: number;
  n: number;
}

export function spread(values: readonly number[]): Spread | undefined {
  const finite = values.filter((v) => Number.isFinite(v)).sort((a, b) => a - b);
  if (finite.length === 0) return undefined;
  const mid = Math.floor(finite.length / 2);
  const median =
    finite.length % 2 === 1
      ? (finite[mid] as number)
      : ((finite[mid - 1] as number) + (finite[mid] as number)) / 2;
  return { median, min: finite[0] as number, max: finite[finite.length - 1] as number, n: finite.length };
}

/**
 * The ratio `a[r] / b[r]` for each round `r` in which both have a finite value and `b[r]` is not 0, in round order:
 * two builds measured back to back in the same round saw nearly the same machine, so the spread of these ratios is
 * narrower than that of either build's values.
 */
export function pairedRatios(a: ReadonlyMap<number, number>, b: ReadonlyMap<number, number>): number[] {
  const ratios: number[] = [];
  for (const round of [...a.keys()].sort((x, y) => x - y)) {
    const x = a.get(round);
    const y = b.get(round);
    if (x === undefined || y === undefined || !Number.isFinite(x) || !Number.isFinite(y) || y === 0) continue;
    ratios.push(x / y);
  }
  return ratios;
}
