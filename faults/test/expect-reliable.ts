import { expect } from "vitest";
import type { ScenarioResult } from "../src/result.js";

/**
 * What every scenario must show: the queue drained, nothing acknowledged was lost (where Redis kept its data), every
 * execution beyond a job's first is explained by an expired lease, a dead process or a recorded failed run, no job
 * ended or started early, no late acknowledgement overwrote a result, and the scenario's own checks hold.
 */
export function expectReliable(result: ScenarioResult): void {
  const summary = `${result.id}: ${JSON.stringify({ ...result, checks: undefined, notes: undefined })}`;
  expect(result.enqueued, summary).toBeGreaterThan(0);
  expect(result.quiesced, summary).toBe(true);
  if (result.redisKeepsData) expect(result.lostIds, summary).toEqual([]);
  expect(result.unexplainedIds, summary).toEqual([]);
  expect(result.earlyIds, summary).toEqual([]);
  expect(result.staleIds, summary).toEqual([]);
  expect(result.checks.filter((c) => !c.ok)).toEqual([]);
}
