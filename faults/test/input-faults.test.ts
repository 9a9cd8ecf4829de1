import { test } from "vitest";
import { clockSkew, garbage } from "../src/scenarios/index.js";
import { expectReliable } from "./expect-reliable.js";

test("garbage written into Redis: each record fails with a clear reason, the workers keep going", async () => {
  expectReliable(await garbage.run());
});

test("worker clocks hours off: nothing fires or is reclaimed early", async () => {
  expectReliable(await clockSkew.run());
});
