import { test } from "vitest";
import {
  clientKillAll,
  clientKillBlocking,
  clientPauseAll,
  clientPauseWrite,
  debugSleepLong,
  debugSleepShort,
  scriptFlush,
} from "../src/scenarios/index.js";
import { expectReliable } from "./expect-reliable.js";

test("CLIENT KILL of every connection under load: consumption resumes, nothing lost", async () => {
  expectReliable(await clientKillAll.run());
});

test("CLIENT KILL of the blocking connections: idle workers notice and keep consuming", async () => {
  expectReliable(await clientKillBlocking.run());
});

test("SCRIPT FLUSH under load: callers fall back to EVAL, nothing lost", async () => {
  expectReliable(await scriptFlush.run());
});

test("DEBUG SLEEP shorter than the lease: everything waits and goes on", async () => {
  expectReliable(await debugSleepShort.run());
});

test("DEBUG SLEEP longer than the lease: expired leases are reclaimed, nothing lost", async () => {
  expectReliable(await debugSleepLong.run());
});

test("CLIENT PAUSE ALL: consumption resumes after the pause", async () => {
  expectReliable(await clientPauseAll.run());
});

test("CLIENT PAUSE WRITE: consumption resumes after the pause", async () => {
  expectReliable(await clientPauseWrite.run());
});
