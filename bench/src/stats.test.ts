import { describe, expect, it } from "vitest";
import { pairedRatios, spread } from "./stats.js";

const rounds = (...values: number[]) => new Map(values.map((v, round) => [round, v]));

describe("pairedRatios", () => {
  it("divides round by round, in round order", () => {
    const a = new Map([
      [2, 300],
      [0, 100],
      [1, 200],
    ]);
    expect(pairedRatios(a, rounds(50, 400, 100))).toEqual([2, 0.5, 3]);
  });

  it("leaves out rounds that only one side measured, or where the divisor is 0 or not a number", () => {
    const a = rounds(100, 100, 100, 100, 100);
    const b = new Map([
      [0, 50],
      [1, 0],
      [2, Number.NaN],
      [4, 25],
      [5, 10],
    ]);
    expect(pairedRatios(a, b)).toEqual([2, 4]);
  });

  it("follows the pairs when the machine drifts between rounds, where the ratio of medians does not", () => {
    // the machine gets slower round by round; tq is 10% faster than the baseline in every round
    const baseline = rounds(1000, 600, 300);
    const tq = rounds(1100, 660, 330);
    expect(spread(pairedRatios(tq, baseline))?.median).toBeCloseTo(1.1);
    // one slow round of tq alone moves the ratio of medians a lot, the median of the pairs little
    const noisy = rounds(1100, 320, 330);
    const ofMedians =
      (spread([...noisy.values()])?.median ?? 0) / (spread([...baseline.values()])?.median ?? 1);
    expect(ofMedians).toBeCloseTo(0.55);
    expect(spread(pairedRatios(noisy, baseline))?.median).toBeCloseTo(1.1);
  });
});
