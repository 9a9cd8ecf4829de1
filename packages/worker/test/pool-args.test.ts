// The pure parts of the pool: command-line parsing and finding the handlers in a loaded module (no Redis).
import { describe, expect, test } from "vitest";
import { HELP, parseCliArgs, UsageError } from "../src/cli-args.js";
import { pickHandlers, resolveHandlersModule } from "../src/load-handlers.js";
import { fixture } from "./pool-helpers.js";

describe("parseCliArgs", () => {
  test("maps every flag to its pool option", () => {
    const command = parseCliArgs(
      [
        "--queue",
        "emails",
        "-p",
        "4",
        "--concurrency",
        "10",
        "--prefix",
        "app",
        "--lease-ms",
        "60000",
        "--shutdown-timeout-ms",
        "5000",
        "--hard-timeout-grace-ms",
        "250",
        "--health-port",
        "9464",
        "--health-host",
        "0.0.0.0",
        "--metrics-port",
        "9465",
        "--metrics-host",
        "0.0.0.0",
        "./dist/tasks.js",
      ],
      { REDIS_URL: "redis://example:6380" },
    );
    expect(command).toEqual({
      kind: "run",
      options: {
        queue: "emails",
        module: "./dist/tasks.js",
        processes: 4,
        concurrency: 10,
        connection: "redis://example:6380",
        prefix: "app",
        leaseMs: 60_000,
        shutdownTimeoutMs: 5_000,
        hardTimeoutGraceMs: 250,
        healthPort: 9464,
        healthHost: "0.0.0.0",
        metricsPort: 9465,
        metricsHost: "0.0.0.0",
      },
      logFormat: "text",
    });
  });

  test("--log-format wins over TQ_LOG_FORMAT; text by default", () => {
    const format = (argv: string[], env: NodeJS.ProcessEnv) => {
      const command = parseCliArgs(["-q", "q", ...argv, "t.js"], env);
      return command.kind === "run" ? command.logFormat : undefined;
    };
    expect(format(["--log-format", "json"], { TQ_LOG_FORMAT: "text" })).toBe("json");
    expect(format([], { TQ_LOG_FORMAT: "json" })).toBe("json");
    expect(format([], {})).toBe("text");
  });

  test("--redis-url wins over REDIS_URL; without either the pool's default applies", () => {
    const a = parseCliArgs(["-q", "q", "--redis-url", "redis://a:1", "t.js"], { REDIS_URL: "redis://b:2" });
    expect(a.kind === "run" && a.options.connection).toBe("redis://a:1");
    const b = parseCliArgs(["-q", "q", "t.js"], {});
    expect(b.kind === "run" && "connection" in b.options).toBe(false);
  });

  test("--help wins and the help names every flag", () => {
    expect(parseCliArgs(["--queue", "q", "--help"])).toEqual({ kind: "help" });
    for (const flag of [
      "--queue",
      "--processes",
      "--concurrency",
      "--prefix",
      "--lease-ms",
      "--shutdown-timeout-ms",
      "--metrics-port",
      "--metrics-host",
    ]) {
      expect(HELP).toContain(flag);
    }
  });

  test("the help warns that --redis-url shows the password to other users, and prefers REDIS_URL", () => {
    expect(HELP).toMatch(
      /Prefer REDIS_URL: a password in --redis-url is visible to every user of\s+the machine \(ps/,
    );
    expect(HELP).toMatch(/REDIS_URL .*\n.*the place for a password/);
    expect(HELP).toContain("REDIS_URL=redis://127.0.0.1:6379 tq-worker");
  });

  test.each([
    [[], /--queue is required/],
    [["-q", "q"], /handlers module is required/],
    [["-q", "q", "a.js", "b.js"], /expected one handlers module, got 2/],
    [["-q", "q", "-c", "0", "a.js"], /--concurrency must be an integer of at least 1, got "0"/],
    [["-q", "q", "--lease-ms", "1.5", "a.js"], /--lease-ms must be an integer/],
    [["-q", "q", "--nope", "a.js"], /Unknown option/],
    [
      ["-q", "q", "--prefix", "app}{other", "a.js"],
      /^--prefix must be 1-100 characters without braces.*, got "app\}\{other"$/,
    ],
    [["-q", "q", "--prefix", "a\nb", "a.js"], /^--prefix must be .*, got "a\\nb"$/],
    [["-q", "a b", "a.js"], /^--queue must be 1-200 characters/],
    [["-q", "q", "--lease-ms", "3000000000", "a.js"], /^--lease-ms must be at most 2147483647 ms/],
    [
      ["-q", "q", "--shutdown-timeout-ms", "2147483648", "a.js"],
      /^--shutdown-timeout-ms must be at most 2147483647 ms/,
    ],
    [["-q", "q", "--hard-timeout-grace-ms", "1e10", "a.js"], /^--hard-timeout-grace-ms must be at most/],
    [["-q", "q", "--health-port", "70000", "a.js"], /^--health-port must be at most 65535/],
    [["-q", "q", "--health-host", "0.0.0.0", "a.js"], /^--health-host needs --health-port/],
    [["-q", "q", "--metrics-port", "70000", "a.js"], /^--metrics-port must be at most 65535/],
    [["-q", "q", "--metrics-port", "x", "a.js"], /^--metrics-port must be an integer/],
    [["-q", "q", "--metrics-host", "0.0.0.0", "a.js"], /^--metrics-host needs --metrics-port/],
    [
      ["-q", "q", "--metrics-port", "9464", "--health-port", "9464", "--metrics-host", "0.0.0.0", "a.js"],
      /^--metrics-port equals --health-port/,
    ],
  ])("%j is a usage error", (args, message) => {
    expect(() => parseCliArgs(args, {})).toThrow(UsageError);
    expect(() => parseCliArgs(args, {})).toThrow(message);
  });
});

describe("pickHandlers", () => {
  const fn = () => undefined;

  test("takes the default export, a named `handlers` export, or CommonJS module.exports", () => {
    expect(pickHandlers({ default: { a: fn } }, "m")).toEqual({ a: fn });
    expect(pickHandlers({ handlers: { b: fn }, default: "x" }, "m")).toEqual({ b: fn });
    // import() of CommonJS: default is module.exports
    expect(pickHandlers({ default: { handlers: { c: fn } } }, "m")).toEqual({ c: fn });
    expect(pickHandlers({ default: { __esModule: true, default: { d: fn } } }, "m")).toEqual({ d: fn });
  });

  test("refuses a module without handlers, and a handler that is not a function", () => {
    expect(() => pickHandlers({ other: 1 }, "m.js")).toThrow(/it exports "other"/);
    expect(() => pickHandlers({ default: { a: 1 } }, "m.js")).toThrow(
      /the handler for task "a" must be a function, got number/,
    );
    expect(() => pickHandlers({ default: {} }, "m.js")).toThrow(/exports no handlers/);
  });
});

describe("resolveHandlersModule", () => {
  test("turns a path into a file URL and keeps URLs", () => {
    expect(resolveHandlersModule(fixture("pool-tasks.mjs"))).toMatch(/^file:\/\/.*pool-tasks\.mjs$/);
    expect(resolveHandlersModule("data:text/javascript,export default {}")).toBe(
      "data:text/javascript,export default {}",
    );
    expect(() => resolveHandlersModule("./missing.js")).toThrow(/handlers module not found/);
  });
});
