import { describe, expect, test } from "vitest";
import { isLoopbackAddress, isLoopbackHost, isSameOrigin, Signer, safeEqual } from "./security.js";

describe("loopback checks", () => {
  test("remote addresses", () => {
    for (const a of ["127.0.0.1", "127.1.2.3", "::1", "::ffff:127.0.0.1"])
      expect(isLoopbackAddress(a)).toBe(true);
    for (const a of ["10.0.0.1", "::ffff:10.0.0.1", "192.168.1.2", "::2", "", undefined, "fe80::1"])
      expect(isLoopbackAddress(a)).toBe(false);
  });

  test("Host headers: loopback names only (DNS rebinding)", () => {
    for (const h of ["localhost", "localhost:7070", "127.0.0.1:7070", "[::1]:7070", "app.localhost"])
      expect(isLoopbackHost(h)).toBe(true);
    for (const h of [
      "evil.example:7070",
      "127.0.0.1.evil.example",
      "10.0.0.1",
      "",
      undefined,
      "localhost.evil",
    ])
      expect(isLoopbackHost(h)).toBe(false);
  });
});

describe("same origin", () => {
  test("Origin, then Referer, must name the Host; neither is refused", () => {
    const host = "127.0.0.1:7070";
    expect(isSameOrigin({ host, origin: "http://127.0.0.1:7070", referer: undefined })).toBe(true);
    expect(isSameOrigin({ host, origin: undefined, referer: "http://127.0.0.1:7070/queues/a" })).toBe(true);
    expect(isSameOrigin({ host, origin: "http://evil.example", referer: "http://127.0.0.1:7070/" })).toBe(
      false,
    );
    expect(isSameOrigin({ host, origin: "null", referer: undefined })).toBe(false);
    expect(isSameOrigin({ host, origin: undefined, referer: undefined })).toBe(false);
    expect(isSameOrigin({ host, origin: "not a url", referer: undefined })).toBe(false);
  });
});

describe("signatures", () => {
  test("verify what this signer signed, nothing else", () => {
    const signer = new Signer();
    const signature = signer.sign("session.123");
    expect(signer.verify("session.123", signature)).toBe(true);
    expect(signer.verify("session.124", signature)).toBe(false);
    expect(new Signer().verify("session.123", signature)).toBe(false);
    expect(safeEqual("a", "a")).toBe(true);
    expect(safeEqual("a", "b")).toBe(false);
  });
});
