// The harness the e2e and fault suites share: scenarios (a private Redis, a queue, worker processes and pools), the
// ledger of executions the workers keep outside Redis, and the checks made on it. A package of its own, beside
// @tq/testing, because it depends on the built @tq/client and @tq/worker, whose own tests use @tq/testing.
export type { Analysis, Tally } from "./analyse.js";
export { analyse } from "./analyse.js";
export type { LedgerEntry } from "./ledger.js";
export {
  busiest,
  byJob,
  countStarts,
  inFlight,
  leaseExpiries,
  readLedger,
  resumedAfter,
  starts,
  unexplainedExecutions,
} from "./ledger.js";
export type { JobSpec, Stream, StreamOptions } from "./producer.js";
export { Producer } from "./producer.js";
export type { AdminClient, PoolHandle, ScenarioOptions, ScenarioPoolOptions, TimedExit } from "./scenario.js";
export {
  clockShiftModule,
  closeScenarios,
  crashAndRestartRedis,
  handlersModule,
  Scenario,
  startScenario,
} from "./scenario.js";
