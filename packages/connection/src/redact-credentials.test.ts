import { describe, expect, test } from "vitest";
import { redactCredentials, urlSecrets } from "./redact-credentials.js";

describe("redactCredentials", () => {
  test("hides a URL's credentials up to the last @ before the host", () => {
    expect(redactCredentials("cannot connect to Redis at redis://alice:p@SECRET@host:6379: refused")).toBe(
      "cannot connect to Redis at redis://***@host:6379: refused",
    );
    expect(redactCredentials("at rediss://:pw@h/0 and redis://h:1")).toBe(
      "at rediss://***@h/0 and redis://h:1",
    );
    expect(redactCredentials("no url here, mail me@example.com")).toBe("no url here, mail me@example.com");
  });

  test("hides a known password wherever it appears, as written or decoded", () => {
    const secrets = urlSecrets("redis://alice:p%40ss word@host:1");
    expect(secrets).toContain("p@ss word");
    expect(redactCredentials('Invalid URL: input "p@ss word" and p%40ss word', secrets)).not.toMatch(
      /ss word/,
    );
    expect(urlSecrets("redis://host:6379")).toEqual([]);
    expect(urlSecrets(undefined)).toEqual([]);
  });
});
