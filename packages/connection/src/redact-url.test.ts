import { describe, expect, test } from "vitest";
import { NON_REDIS_URL, redactUrl, UNPARSABLE_URL } from "./redact-url.js";

describe("redactUrl", () => {
  test.each([
    ["redis://alice:s3cret@host:6379", "redis://alice:***@host:6379"],
    ["redis://alice:p@SECRET@host", "redis://alice:***@host"],
    ["redis://:p@ss@w@rd@host:6380/2", "redis://:***@host:6380/2"],
    ["rediss://default:pa%40ss@redis.example.com:6380", "rediss://default:***@redis.example.com:6380"],
    ["redis://onlyasecret@host", "redis://***@host"],
    ["redis://127.0.0.1:6379", "redis://127.0.0.1:6379"],
    ["redis://u:pw@host/1?x=SECRET#SECRET", "redis://u:***@host/1"],
  ])("%s is shown as %s", (url, shown) => {
    expect(redactUrl(url)).toBe(shown);
  });

  test("no part of the password survives, wherever the @ signs are", () => {
    for (const url of [
      "redis://alice:p@SECRET@host",
      "redis://alice:SECRET@@host",
      "redis://alice:a@b@SECRET@host:1",
      "redis://alice:SECRET/x@host",
    ]) {
      expect(redactUrl(url)).not.toContain("SECRET");
    }
  });

  test.each(["redis://alice:SECRET@host:notaport", "not a url SECRET", "redis://alice:SECRET@[::1", ""])(
    "an unparsable URL (%j) is not echoed at all",
    (url) => {
      expect(redactUrl(url)).toBe(UNPARSABLE_URL);
    },
  );
});

test.each(["alice:SECRET@127.0.0.1:6379", "http://alice:SECRET@host", "SECRET:x"])(
  "a URL of another scheme (%j) is not echoed at all",
  (url) => {
    expect(redactUrl(url)).toBe(NON_REDIS_URL);
  },
);
