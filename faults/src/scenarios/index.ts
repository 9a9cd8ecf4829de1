import type { FaultScenario } from "../result.js";
import { busyLoop } from "./busy-loop.js";
import { clientKillAll, clientKillBlocking } from "./client-kill.js";
import { clientPauseAll, clientPauseWrite } from "./client-pause.js";
import { clockSkew } from "./clock-skew.js";
import { debugSleepLong, debugSleepShort } from "./debug-sleep.js";
import { delayedRestart } from "./delayed-restart.js";
import { garbage } from "./garbage.js";
import { maxmemory } from "./maxmemory.js";
import { neverSettles } from "./never-settles.js";
import { poison } from "./poison.js";
import { redisCrashAlways, redisCrashEverysec } from "./redis-crash.js";
import { scriptFlush } from "./script-flush.js";
import { supervisorKilled } from "./supervisor-killed.js";
import { workerKilled } from "./worker-killed.js";
import { workerStopped } from "./worker-stopped.js";

export {
  busyLoop,
  clientKillAll,
  clientKillBlocking,
  clientPauseAll,
  clientPauseWrite,
  clockSkew,
  debugSleepLong,
  debugSleepShort,
  delayedRestart,
  garbage,
  maxmemory,
  neverSettles,
  poison,
  redisCrashAlways,
  redisCrashEverysec,
  scriptFlush,
  supervisorKilled,
  workerKilled,
  workerStopped,
};

/** Every scenario, in the order the runner runs them and the report lists them. */
export const SCENARIOS: readonly FaultScenario[] = [
  workerKilled,
  supervisorKilled,
  workerStopped,
  busyLoop,
  neverSettles,
  poison,
  clientKillAll,
  clientKillBlocking,
  redisCrashAlways,
  redisCrashEverysec,
  scriptFlush,
  debugSleepShort,
  debugSleepLong,
  clientPauseAll,
  clientPauseWrite,
  clockSkew,
  delayedRestart,
  maxmemory,
  garbage,
];
