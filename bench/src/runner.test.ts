import { describe, expect, it } from "vitest";
import { rotation } from "./runner.js";

describe("rotation", () => {
  it("alternates which of two builds runs first", () => {
    expect([0, 1, 2, 3].map((step) => rotation(["tq", "baseline"], step))).toEqual([
      ["tq", "baseline"],
      ["baseline", "tq"],
      ["tq", "baseline"],
      ["baseline", "tq"],
    ]);
  });

  it("puts every library first once in as many steps as there are libraries", () => {
    const libraries = ["tq", "baseline", "bullmq", "bee-queue"] as const;
    const firsts = [0, 1, 2, 3].map((step) => rotation(libraries, step)[0]);
    expect(new Set(firsts)).toEqual(new Set(libraries));
  });
});
