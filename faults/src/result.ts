import type { Tally } from "@tq/harness";

/** One scenario-specific assertion, checked by the tests and listed by the runner. */
export interface Check {
  /** What must hold, as a sentence. */
  name: string;
  ok: boolean;
  /** What was seen, when it is worth saying (always said when the check failed). */
  detail?: string;
}

/** What one scenario measured: the row of the reliability table, plus what the tests assert on. */
export interface ScenarioResult extends Tally {
  id: string;
  title: string;
  /** The fault, as injected. */
  fault: string;
  /** Whether Redis keeps its data through this fault (then nothing acknowledged may be lost). */
  redisKeepsData: boolean;
  /** Whether the queue drained (nothing scheduled, pending or active) before the analysis. */
  quiesced: boolean;
  /** From the end of the fault until consumption resumed, in milliseconds (see `recovery`). */
  recoveryMs: number | undefined;
  /** What `recoveryMs` measures in this scenario. */
  recovery: string;
  /** Wall time of the whole scenario, in milliseconds. */
  durationMs: number;
  checks: Check[];
  /** Other observations worth a line in the report. */
  notes: string[];
}

/** A scenario of the suite: the tests and the runner call `run`. */
export interface FaultScenario {
  id: string;
  title: string;
  run(): Promise<ScenarioResult>;
}

/** A check built from a condition. */
export function check(name: string, ok: boolean, detail?: string): Check {
  return detail === undefined ? { name, ok } : { name, ok, detail };
}
