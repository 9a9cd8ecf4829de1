import { expect, test } from "vitest";
import { delayedRestart, maxmemory, redisCrashAlways, redisCrashEverysec } from "../src/scenarios/index.js";
import { expectReliable } from "./expect-reliable.js";

test("redis-server SIGKILLed and restarted from its AOF (appendfsync always): nothing acknowledged is lost", async () => {
  expectReliable(await redisCrashAlways.run());
});

test("redis-server SIGKILLed and restarted from its AOF (appendfsync everysec): loss measured, the rest holds", async () => {
  const result = await redisCrashEverysec.run();
  expect(result.redisKeepsData).toBe(false);
  expectReliable(result);
});

test("10,000 delayed jobs through a Redis restart: each fires exactly once, none early", async () => {
  const result = await delayedRestart.run();
  expectReliable(result);
  expect(result.duplicates).toBe(0);
});

test("maxmemory: producers get REDIS/OOM, nothing half-applied, everything proceeds once memory is raised", async () => {
  expectReliable(await maxmemory.run());
});
