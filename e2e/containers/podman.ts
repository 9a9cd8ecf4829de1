// podman for the container test: whether it runs here, the stand-in base image (no registry is reachable, so
// node:20-slim cannot be pulled: the base is made from this machine's Node), image builds and containers.
import { spawn, spawnSync } from "node:child_process";
import {
  chmodSync,
  chownSync,
  copyFileSync,
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readlinkSync,
  realpathSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";

/** The tag of the stand-in base image. */
export const BASE_IMAGE = "localhost/tq-node-base";

/** One finished command. */
export interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a command to the end (asynchronously: the test's timers and Redis clients keep running meanwhile). */
export function run(
  command: string,
  args: readonly string[],
  { input, env, cwd }: { input?: Buffer; env?: NodeJS.ProcessEnv; cwd?: string } = {},
): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { env, cwd, stdio: [input ? "pipe" : "ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout?.setEncoding("utf8").on("data", (chunk: string) => {
      stdout += chunk;
    });
    child.stderr?.setEncoding("utf8").on("data", (chunk: string) => {
      stderr += chunk;
    });
    child.once("error", reject);
    child.once("close", (code) => resolve({ code, stdout, stderr }));
    if (input) child.stdin?.end(input);
  });
}

/** `podman …`; throws with the command's output when it fails. */
export async function podman(...args: string[]): Promise<string> {
  const result = await run("podman", args);
  if (result.code !== 0) {
    throw new Error(
      `podman ${args.join(" ")} exited ${result.code}:\n${result.stderr.trim()}\n${result.stdout.slice(-4000)}`,
    );
  }
  return result.stdout.trim();
}

/**
 * Why podman cannot run containers here, or undefined when it can: not installed, or a container does not start
 * (the reason is podman's own error line). Tried with the stand-in base image, which it makes on first use.
 */
export async function podmanUnavailable(): Promise<string | undefined> {
  if (spawnSync("podman", ["--version"], { stdio: "ignore" }).status !== 0) {
    return "podman is not installed (apt-get install -y podman runc; .ci/run installs it)";
  }
  try {
    await ensureBaseImage();
  } catch (error) {
    return `podman cannot make the stand-in base image: ${(error as Error).message}`;
  }
  const probe = await run("podman", ["run", "--rm", "--network", "host", BASE_IMAGE, "node", "-e", "1"]);
  if (probe.code !== 0) return `podman cannot run a container: ${probe.stderr.trim()}`;
  return undefined;
}

/** The shared libraries `ldd` names for a binary, with the dynamic loader. */
function libraries(binary: string): string[] {
  const out = spawnSync("ldd", [binary], { encoding: "utf8" });
  if (out.status !== 0) throw new Error(`ldd ${binary}: ${out.stderr}`);
  const paths: string[] = [];
  for (const line of out.stdout.split("\n")) {
    const match = line.match(/=>\s+(\/\S+)/) ?? line.match(/^\s*(\/\S+)\s+\(/);
    if (match) paths.push(match[1] as string);
  }
  return paths;
}

/** The shared libraries of Debian's libc6 package (none where there is no dpkg). */
function glibcLibraries(): string[] {
  const out = spawnSync("dpkg", ["-L", "libc6"], { encoding: "utf8" });
  if (out.status !== 0) return [];
  return out.stdout.split("\n").filter((path) => /^\/lib\/[^/]+\/[^/]+\.so[.\d]*$/.test(path));
}

/** Copies `path` (following links) to the same path under `root`. */
function copyInto(root: string, path: string, as = path): void {
  const target = join(root, as);
  mkdirSync(dirname(target), { recursive: true });
  copyFileSync(realpathSync(path), target);
  chmodSync(target, 0o755);
}

/**
 * Makes `localhost/tq-node-base` once (kept by tag) from this machine's Node: `/usr/bin/node`, `/usr/lib/node_modules`
 * (npm, corepack, pnpm) with their `/usr/bin` links, dash as `/bin/sh`, `env`, the `sed`, `dirname` and `uname`
 * pnpm's `.bin` shims call (node:20-slim has them) and `id`, the libraries `ldd` names for all of them and the rest of glibc,
 * `/etc/ssl`, the global npmrc, a `node` user (uid 1000) and a `/tmp` with mode 1777; then `podman import`.
 * When this machine trusts its TLS proxy through `NODE_EXTRA_CA_CERTS`, the image does too (the build stage needs
 * the npm registry).
 */
export async function ensureBaseImage(): Promise<void> {
  if ((await run("podman", ["image", "exists", BASE_IMAGE])).code === 0) return;
  const root = mkdtempSync(join(tmpdir(), "tq-node-base-"));
  try {
    const node = realpathSync(process.execPath);
    copyInto(root, node, "/usr/bin/node");
    cpSync("/usr/lib/node_modules", join(root, "usr/lib/node_modules"), {
      recursive: true,
      verbatimSymlinks: true,
    });
    for (const bin of ["npm", "npx", "corepack", "pnpm"]) {
      const link = `/usr/bin/${bin}`;
      if (existsSync(link)) symlinkSync(readlinkSync(link), join(root, link));
    }
    copyInto(root, "/bin/dash", "/bin/sh");
    // env for `#!/usr/bin/env node`; sed, dirname and uname for pnpm's node_modules/.bin shims; id for the test
    const tools = ["/usr/bin/env", "/usr/bin/sed", "/usr/bin/dirname", "/usr/bin/uname", "/usr/bin/id"];
    for (const tool of tools) copyInto(root, tool);
    for (const binary of [node, "/bin/dash", ...tools]) {
      for (const library of libraries(binary)) copyInto(root, library);
    }
    // the rest of glibc (librt, libresolv, …), as a Debian base has it: native addons (rollup's) load them
    for (const library of glibcLibraries()) copyInto(root, library);
    cpSync("/etc/ssl", join(root, "etc/ssl"), { recursive: true, dereference: true });
    for (const npmrc of ["/etc/npmrc", "/usr/etc/npmrc"]) {
      if (!existsSync(npmrc)) continue;
      mkdirSync(join(root, dirname(npmrc)), { recursive: true });
      copyFileSync(npmrc, join(root, npmrc));
    }
    writeFileSync(
      join(root, "etc/passwd"),
      "root:x:0:0:root:/root:/bin/sh\nnode:x:1000:1000:node:/home/node:/bin/sh\n",
    );
    writeFileSync(join(root, "etc/group"), "root:x:0:\nnode:x:1000:\n");
    for (const dir of ["tmp", "root", "home/node"]) mkdirSync(join(root, dir), { recursive: true });
    chmodSync(join(root, "tmp"), 0o1777);
    chownSync(join(root, "home/node"), 1000, 1000);
    const changes = ["--change", "ENV PATH=/usr/local/bin:/usr/bin:/bin"];
    const extraCa = process.env.NODE_EXTRA_CA_CERTS;
    if (extraCa?.startsWith("/etc/ssl/")) changes.push("--change", `ENV NODE_EXTRA_CA_CERTS=${extraCa}`);
    const tar = spawnSync("tar", ["-C", root, "-c", "."], { maxBuffer: 1 << 30 });
    if (tar.status !== 0) throw new Error(`tar: ${tar.stderr.toString()}`);
    const imported = await run("podman", ["import", ...changes, "-", BASE_IMAGE], { input: tar.stdout });
    if (imported.code !== 0) throw new Error(`podman import: ${imported.stderr.trim()}`);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

/** The four targets of the Dockerfile. */
export const TARGETS = ["producer", "worker", "scheduler", "dashboard"] as const;
export type Target = (typeof TARGETS)[number];

/** The image tag the test builds for a target. */
export const imageTag = (target: Target) => `localhost/tq-${target}:test`;

/**
 * `podman build` of one target on the stand-in base (`--format docker`: the OCI format has no HEALTHCHECK), with the
 * host's network for the npm registry. Layers stay cached, so the other targets reuse the build stage.
 */
export async function buildImage(context: string, target: Target): Promise<void> {
  const before = await run("podman", ["image", "inspect", "--format", "{{.Id}}", imageTag(target)]);
  await podman(
    "build",
    "--network",
    "host",
    "--format",
    "docker",
    "--build-arg",
    `BASE=${BASE_IMAGE}`,
    "--target",
    target,
    "--tag",
    imageTag(target),
    context,
  );
  // the image this tag named before a rebuild is of no further use: remove it (and only it)
  const previous = before.code === 0 ? before.stdout.trim() : "";
  if (previous && previous !== (await podman("image", "inspect", "--format", "{{.Id}}", imageTag(target)))) {
    await run("podman", ["rmi", previous]);
  }
}

/** The containers the test started, removed afterwards with `podman rm -f`. */
export class Containers {
  readonly #names: string[] = [];

  /** `podman run -d --network host --name <name> -e …env <image>`; returns the container's name. */
  async start(
    name: string,
    image: string,
    env: Record<string, string>,
    extra: string[] = [],
  ): Promise<string> {
    this.#names.push(name);
    const envArgs = Object.entries(env).flatMap(([key, value]) => ["-e", `${key}=${value}`]);
    await podman("run", "-d", "--network", "host", "--name", name, ...envArgs, ...extra, image);
    return name;
  }

  /** Runs a container to its end (`podman run` without -d); keeps it until cleanup, so its logs can be read. */
  async once(name: string, image: string, env: Record<string, string>, command: string[] = []): Promise<Run> {
    this.#names.push(name);
    const envArgs = Object.entries(env).flatMap(([key, value]) => ["-e", `${key}=${value}`]);
    return run("podman", ["run", "--network", "host", "--name", name, ...envArgs, image, ...command]);
  }

  /** The container's state: `running`, `exited`, … */
  async state(name: string): Promise<{ status: string; exitCode: number; health: string }> {
    const out = await podman(
      "inspect",
      "--format",
      "{{.State.Status}} {{.State.ExitCode}} {{.State.Health.Status}}",
      name,
    );
    const [status = "", exitCode = "", health = ""] = out.split(" ");
    return { status, exitCode: Number(exitCode), health };
  }

  /** The container's output so far (stdout and stderr). */
  async logs(name: string): Promise<string> {
    const result = await run("podman", ["logs", name]);
    return result.stdout + result.stderr;
  }

  /** `podman rm -f` of every container this started. */
  async removeAll(): Promise<void> {
    for (const name of this.#names.splice(0)) await run("podman", ["rm", "-f", "-t", "0", name]);
  }
}

/** The tag of the stand-in for `redis:7` that compose.yaml runs in the test (REDIS_IMAGE). */
export const REDIS_IMAGE = "localhost/tq-redis-base";

/**
 * Makes `localhost/tq-redis-base` once: the stand-in base plus this machine's `redis-server` and `redis-cli` with the
 * libraries `ldd` names, and an entrypoint that, like the official image's, turns protected mode off (the
 * compose network is the boundary) and runs Redis in `/data`.
 */
export async function ensureRedisImage(): Promise<void> {
  if ((await run("podman", ["image", "exists", REDIS_IMAGE])).code === 0) return;
  await ensureBaseImage();
  const context = mkdtempSync(join(tmpdir(), "tq-redis-base-"));
  try {
    const root = join(context, "root");
    for (const binary of ["redis-server", "redis-cli"]) {
      const path = spawnSync("sh", ["-c", `command -v ${binary}`], { encoding: "utf8" }).stdout.trim();
      if (!path) throw new Error(`${binary} is not installed`);
      copyInto(root, path, `/usr/bin/${binary}`);
      for (const library of libraries(path)) copyInto(root, library);
    }
    mkdirSync(join(root, "data"), { recursive: true });
    const entrypoint = join(root, "usr/local/bin/docker-entrypoint.sh");
    mkdirSync(dirname(entrypoint), { recursive: true });
    writeFileSync(
      entrypoint,
      '#!/bin/sh\nif [ "$1" = "redis-server" ]; then shift; exec redis-server --protected-mode no "$@"; fi\nexec "$@"\n',
      { mode: 0o755 },
    );
    writeFileSync(
      join(context, "Containerfile"),
      `FROM ${BASE_IMAGE}\nCOPY root/ /\nWORKDIR /data\nENTRYPOINT ["docker-entrypoint.sh"]\nCMD ["redis-server"]\n`,
    );
    await podman("build", "--tag", REDIS_IMAGE, context);
  } finally {
    rmSync(context, { recursive: true, force: true });
  }
}

/** Why `podman-compose` cannot be used here, or undefined when it can. */
export function podmanComposeUnavailable(): string | undefined {
  return spawnSync("podman-compose", ["version"], { stdio: "ignore" }).status === 0
    ? undefined
    : "podman-compose is not installed (apt-get install -y podman-compose; .ci/run installs it)";
}

/** The one container of a compose service (by the labels compose puts on it), or undefined. */
export async function composeContainer(project: string, service: string): Promise<string | undefined> {
  const names = await podman(
    "ps",
    "-a",
    "--filter",
    `label=com.docker.compose.project=${project}`,
    "--filter",
    `label=com.docker.compose.service=${service}`,
    "--format",
    "{{.Names}}",
  );
  return names.split("\n").find(Boolean);
}
