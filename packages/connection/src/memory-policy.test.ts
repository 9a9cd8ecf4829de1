import { expect, test } from "vitest";
import { evictingPolicyMessage, isEvictingPolicy } from "./memory-policy.js";

test("every policy but noeviction evicts keys", () => {
  for (const policy of [
    "allkeys-lru",
    "allkeys-lfu",
    "allkeys-random",
    "volatile-lru",
    "volatile-lfu",
    "volatile-random",
    "volatile-ttl",
  ]) {
    expect(isEvictingPolicy(policy)).toBe(true);
  }
  expect(isEvictingPolicy("noeviction")).toBe(false);
});

test("the warning names the policy and the fix", () => {
  const message = evictingPolicyMessage("allkeys-lru");
  expect(message).toContain('"allkeys-lru"');
  expect(message).toContain("noeviction");
});
