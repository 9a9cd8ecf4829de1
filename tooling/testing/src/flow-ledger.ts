// Checks of the flow-control rules from the times Redis records on each job (`startedAt` at the claim, `finishedAt`
// at the ack, both on the Redis clock the rules are enforced on).

/** The most starts inside any window of `durationMs`: each window that begins at a start is counted. */
export function mostStartsInAnyWindow(starts: readonly number[], durationMs: number): number {
  const sorted = [...starts].sort((a, b) => a - b);
  let most = 0;
  let first = 0;
  for (let i = 0; i < sorted.length; i++) {
    while ((sorted[first] as number) <= (sorted[i] as number) - durationMs) first++;
    most = Math.max(most, i - first + 1);
  }
  return most;
}

/** The most runs whose spans `[start, end]` overlap at any moment; an end and a start in the same ms do not. */
export function mostAtOnce(spans: ReadonlyArray<readonly [number, number]>): number {
  const points = spans.flatMap(([start, end]) => [
    [start, 1],
    [end, -1],
  ]);
  // an end at the same millisecond as a start frees its slot first: the ack came before the claim
  points.sort((a, b) => (a[0] as number) - (b[0] as number) || (a[1] as number) - (b[1] as number));
  let now = 0;
  let most = 0;
  for (const [, delta] of points) {
    now += delta as number;
    most = Math.max(most, now);
  }
  return most;
}
