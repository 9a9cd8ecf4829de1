import { execFile } from "node:child_process";
import { readFile } from "node:fs/promises";
import { basename } from "node:path";
import { promisify } from "node:util";

const run = promisify(execFile);

/**
 * The command that runs pnpm: the pnpm that runs this process when there is one (`pnpm test` sets
 * `npm_execpath`, also when pnpm itself came through `npx`), else `pnpm` from the PATH.
 */
function pnpmCommand(): [string, string[]] {
  const execPath = process.env.npm_execpath;
  if (execPath && basename(execPath).startsWith("pnpm") && /\.[cm]?js$/.test(execPath)) {
    return [process.execPath, [execPath]];
  }
  return ["pnpm", []];
}

/**
 * Packs the package in `dir` as `pnpm publish` would (workspace ranges replaced by versions) into `destination`,
 * and returns the tarball's bytes.
 */
export async function packPackage(dir: string, destination: string): Promise<Uint8Array> {
  const [command, prefix] = pnpmCommand();
  const { stdout } = await run(command, [...prefix, "pack", "--pack-destination", destination, "--json"], {
    cwd: dir,
    env: { ...process.env, CI: "true" },
  });
  const { filename } = JSON.parse(stdout) as { filename: string };
  return new Uint8Array(await readFile(filename));
}
