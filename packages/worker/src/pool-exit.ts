// What the end of a pool child means: why it ended, and what becomes of the runs it held. A run the child's death
// is to blame for counts as a failed run (retried, or dead-lettered after its retries); a run that merely shared the
// process with a job that overran, or was cut off by shutdown, is handed back uncounted.
import { type RedisConnection, toTqError } from "@tq/connection";
import { quote, TqError } from "@tq/job-schema";
import { type QueueKeys, removeWorker } from "@tq/protocol";
import type { ChildHandle } from "./pool-child-handle.js";
import type { PoolExitReason, PoolExitRun } from "./pool-events.js";
import { failLostRuns, type LostRun, recoverClaims, releaseRuns } from "./redis-calls.js";

/** How many times recording a dead child's runs is tried before their leases are left to expire. */
const RECORD_ATTEMPTS = 5;

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Why a child ended, from what the pool did to it and what it said before it went. */
export function exitReason(child: ChildHandle): PoolExitReason {
  if (child.killReason === "timeout" || child.killReason === "unresponsive") return child.killReason;
  if (child.killReason === "shutdown") return "shutdown-timeout";
  if (child.closedCleanly) return "stopped";
  return child.readyAt === undefined ? "start-failed" : "crashed";
}

/** "signal SIGKILL" or "exit code 1", for messages. */
export function describeDeath(code: number | null, signal: NodeJS.Signals | null): string {
  return signal ? `signal ${signal}` : `exit code ${String(code)}`;
}

/** What {@link ExitAccounting} needs from its pool. */
export interface ExitAccountingOptions {
  keys: QueueKeys;
  /** The queue name as it appears in messages. */
  quoted: string;
  hardTimeoutGraceMs: number;
  unresponsiveMs: number;
  /** The pool's own connection, while it has one. */
  connection: () => RedisConnection | undefined;
  /** Where a failure to record runs goes (the pool's `error` event, or its logger). */
  reportError: (error: TqError) => void;
}

/** Records in Redis what became of the runs of the pool's children that ended. */
export class ExitAccounting {
  readonly #options: ExitAccountingOptions;

  constructor(options: ExitAccountingOptions) {
    this.#options = options;
  }

  /**
   * Takes the runs `child` held when it ended for `reason` and records their fate in Redis (fenced by their tokens),
   * then hands back the jobs it had claimed without reporting them yet (its claim reply was in flight when it died).
   * Never throws: what cannot be recorded is reported, and its leases expire.
   */
  async record(child: ChildHandle, reason: PoolExitReason, how: string): Promise<PoolExitRun[]> {
    const lost: LostRun[] = [];
    const released: Array<{ id: string; token: string }> = [];
    for (const [id, run] of child.takeRuns()) {
      if ((reason === "timeout" || reason === "unresponsive") && run.overran) {
        lost.push({
          id,
          token: run.token,
          stalled: false,
          retryDelayMs: run.retryDelayMs,
          error: {
            name: "TqError",
            code: "TIMEOUT",
            message: `task ${quote(run.task ?? "?")} (job ${quote(id)}) ran past its timeoutMs of ${run.timeoutMs} ms without yielding; worker process ${child.pid} was killed (SIGKILL) ${this.#options.hardTimeoutGraceMs} ms later`,
          },
        });
      } else if (reason === "crashed" || reason === "start-failed" || reason === "unresponsive") {
        lost.push({
          id,
          token: run.token,
          stalled: true,
          retryDelayMs: 0,
          error: {
            name: "TqError",
            code: "LEASE_LOST",
            message:
              reason === "unresponsive"
                ? `worker process ${child.pid} stopped responding while running this job (its event loop was blocked for over ${this.#options.unresponsiveMs} ms, so its leases could not be renewed); it was killed (SIGKILL)`
                : `worker process ${child.pid} died (${how}) while running this job`,
          },
        });
      } else {
        // Not this run's fault (a neighbour overran, or shutdown): hand it back without counting the run.
        released.push({ id, token: run.token });
      }
    }
    const runs = await this.#apply(child, lost, released);
    await this.#recoverClaims(child, [...lost, ...released]);
    await this.#unregister(child);
    return runs;
  }

  /**
   * Removes the dead child's registry entry, which it could not remove itself (a child that closed cleanly has
   * removed it already: removing it again is a no-op), so `queue.workers()` stops listing it at once instead of
   * after its TTL. A failure leaves the entry to expire.
   */
  async #unregister(child: ChildHandle): Promise<void> {
    const redis = this.#options.connection();
    if (!redis) return;
    try {
      await removeWorker(redis, this.#options.keys, { workerId: child.workerId });
    } catch {
      // the entry runs out by itself within the registry's TTL
    }
  }

  /** The log line for a child that ended. */
  describe(
    child: ChildHandle,
    reason: PoolExitReason,
    how: string,
    runs: readonly PoolExitRun[],
    restartInMs: number | undefined,
  ): string {
    const pid = `worker process ${child.pid}`;
    let what: string;
    switch (reason) {
      case "timeout":
        what = `${pid} was killed (${how}): a job overran its timeoutMs without yielding`;
        break;
      case "unresponsive":
        what = `${pid} was killed (${how}): its event loop was blocked for over ${this.#options.unresponsiveMs} ms`;
        break;
      case "shutdown-timeout":
        what = `${pid} was killed (${how}): it did not stop within the shutdown timeout`;
        break;
      case "start-failed":
        what = `${pid} exited (${how}) before it started consuming${child.fatal ? ` (${child.fatal.code})` : ""}`;
        break;
      case "stopped":
        what = `${pid} stopped (${how}) on a signal of its own`;
        break;
      default:
        what = `${pid} died (${how})`;
    }
    const held =
      runs.length === 0
        ? ""
        : `; its job${runs.length === 1 ? "" : "s"}: ${runs.map((r) => `${quote(r.id)} ${r.outcome}`).join(", ")}`;
    const next = restartInMs === undefined ? "" : `; restarting it in ${restartInMs} ms`;
    return `${what}${held}${next}`;
  }

  /** Applies the fate of a dead child's runs in Redis, retrying a few times if Redis does not answer. */
  async #apply(
    child: ChildHandle,
    lost: LostRun[],
    released: Array<{ id: string; token: string }>,
  ): Promise<PoolExitRun[]> {
    const redis = this.#options.connection();
    const { keys } = this.#options;
    const out: PoolExitRun[] = [];
    if (lost.length === 0 && released.length === 0) return out;
    for (let attempt = 1; ; attempt++) {
      try {
        if (!redis) throw new TqError("CLOSED", "the pool's Redis connection is closed");
        const [outcomes] = await Promise.all([
          failLostRuns(redis, keys, lost),
          releaseRuns(redis, keys, released),
        ]);
        for (const [i, run] of lost.entries()) out.push({ id: run.id, outcome: outcomes[i] ?? "unchanged" });
        for (const run of released) out.push({ id: run.id, outcome: "released" });
        return out;
      } catch (error) {
        if (attempt >= RECORD_ATTEMPTS || !redis) {
          this.#options.reportError(
            toTqError(
              error,
              `worker pool for queue ${this.#options.quoted}: recording the runs of worker process ${child.pid} failed (${[...lost, ...released].map((r) => quote(r.id)).join(", ")}); their leases will expire and they will be retried then`,
            ),
          );
          for (const run of [...lost, ...released]) out.push({ id: run.id, outcome: "unchanged" });
          return out;
        }
        await sleep(200 * attempt);
      }
    }
  }

  /** Hands back jobs the dead child had claimed but not yet reported (its claim reply was in flight when it died). */
  async #recoverClaims(
    child: ChildHandle,
    known: ReadonlyArray<{ id: string; token: string }>,
  ): Promise<void> {
    const redis = this.#options.connection();
    if (!redis) return;
    try {
      await recoverClaims(redis, this.#options.keys, child.workerId, known);
    } catch (error) {
      this.#options.reportError(
        toTqError(
          error,
          `worker pool for queue ${this.#options.quoted}: handing back the claims of worker process ${child.pid} failed; their leases will expire`,
        ),
      );
    }
  }
}
