import { test } from "vitest";
import {
  busyLoop,
  neverSettles,
  poison,
  supervisorKilled,
  workerKilled,
  workerStopped,
} from "../src/scenarios/index.js";
import { expectReliable } from "./expect-reliable.js";

test("a worker child SIGKILLed mid-job: its runs are failed at once and retried, none lost", async () => {
  expectReliable(await workerKilled.run());
});

test("the supervisor SIGKILLed: no orphan children remain, a new pool completes every job", async () => {
  expectReliable(await supervisorKilled.run());
});

test("a worker SIGSTOPped past its lease: its late acks are refused, the other worker's results stand", async () => {
  expectReliable(await workerStopped.run());
});

test("a handler busy-looping past its lease: the job runs again; a child blocked too long is replaced", async () => {
  expectReliable(await busyLoop.run());
});

test("handlers that never settle or never yield fail with TIMEOUT after their retries", async () => {
  expectReliable(await neverSettles.run());
});

test("a poison job ends failed after maxRetries + 1 crashes; every other job completes", async () => {
  expectReliable(await poison.run());
});
