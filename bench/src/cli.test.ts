import { describe, expect, it } from "vitest";
import { parseArgs, reproduceCommand, UsageError } from "./cli.js";

const parse = (...argv: string[]) => parseArgs(argv, "/work/wt/bench");

describe("parseArgs", () => {
  it("runs tq, BullMQ, Bee-Queue and the raw-list floor and writes docs/ when not told otherwise", () => {
    const options = parse("--", "--runs", "2");
    expect(options.libraries).toEqual(["tq", "bullmq", "bee-queue", "floor"]);
    expect(options.baseline).toBeUndefined();
    expect(options.write).toBe(true);
    expect(options.runs).toBe(2);
  });

  it("adds the baseline after tq, resolves its directory against the caller's, and leaves docs/ alone", () => {
    const options = parse("--baseline", "../base");
    expect(options.baseline).toBe("/work/wt/base");
    expect(options.libraries).toEqual(["tq", "baseline", "bullmq", "bee-queue", "floor"]);
    expect(options.write).toBe(false);
  });

  it("writes docs/ with a baseline only when --write is given", () => {
    expect(parse("--baseline", "/b", "--write").write).toBe(true);
    expect(parse("--baseline", "/b", "--write", "--no-write").write).toBe(false);
    expect(parse("--no-write").write).toBe(false);
  });

  it("takes the libraries in report order, once each", () => {
    const options = parse("--libraries", "baseline, tq,baseline", "--baseline", "/b");
    expect(options.libraries).toEqual(["tq", "baseline"]);
    expect(parse("--libraries", "bee-queue,tq").libraries).toEqual(["tq", "bee-queue"]);
  });

  it("--only-tq runs tq, and the baseline when there is one", () => {
    expect(parse("--only-tq").libraries).toEqual(["tq"]);
    expect(parse("--only-tq", "--baseline", "/b").libraries).toEqual(["tq", "baseline"]);
  });

  it.each([
    [["--libraries", "tq,kue"], /unknown library kue/],
    [["--libraries", "tq,baseline"], /no --baseline DIR/],
    [["--baseline", "/b", "--libraries", "tq,bullmq"], /leaves baseline out/],
    [["--libraries", "tq", "--only-tq"], /not both/],
    [["--baseline"], /--baseline needs a value/],
  ])("refuses %j", (argv, message) => {
    expect(() => parse(...argv)).toThrow(UsageError);
    expect(() => parse(...argv)).toThrow(message);
  });
});

describe("reproduceCommand", () => {
  it("is the command it always was without a baseline", () => {
    expect(reproduceCommand(parse("--runs", "3", "--profile"), "/work/wt/bench")).toBe(
      "pnpm build && pnpm --filter @tq/bench start -- --runs 3 --profile",
    );
  });

  it("names the baseline relative to the repository root, and the libraries when they are not the default", () => {
    const options = parse(
      "--runs",
      "1",
      "--quick",
      "--baseline",
      "/work/wt/base",
      "--libraries",
      "tq,baseline",
    );
    expect(reproduceCommand(options, "/work/wt/bench")).toBe(
      "pnpm build && pnpm --filter @tq/bench start -- --runs 1 --quick --baseline ../base --libraries tq,baseline",
    );
    expect(reproduceCommand(parse("--baseline", "/work/wt/base"), "/work/wt/bench")).toBe(
      "pnpm build && pnpm --filter @tq/bench start -- --runs 3 --baseline ../base",
    );
    expect(reproduceCommand(parse("--libraries", "tq,bullmq"), "/work/wt/bench")).toMatch(
      / --libraries tq,bullmq$/,
    );
  });
});
