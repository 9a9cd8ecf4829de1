import { setTimeout as sleep } from "node:timers/promises";
import { reconnectDelayMs, toTqError } from "@tq/connection";
import { NEXT_WAKE_NONE, TAKE_LIMIT, type TakeResult } from "@tq/protocol";
import type { Ack, AckBatcher } from "./ack-batcher.js";
import type { MarkerWaiter } from "./marker-waiter.js";
import { recoverClaims } from "./redis-calls.js";
import type { RunExecutor } from "./run-executor.js";
import type { WorkerCore } from "./worker-core.js";

/**
 * Claims and acknowledges in batches. Up to two `take` calls are in flight at once, so Redis works on the next
 * batch while this process runs the current one; a second call goes out only when at least half the slots are
 * free, so batches stay large. When a call returns fewer jobs than it asked for, the queue is drained: the loop
 * blocks on the marker until work arrives (acks of runs that finish meanwhile go out on their own). When the queue's
 * rate limit or a `ctx.rateLimit` hold is what stopped the claim, it sleeps until the window opens instead.
 */
export class FetchLoop {
  readonly #core: WorkerCore;
  readonly #acks: AckBatcher;
  readonly #runs: RunExecutor;
  readonly #waiter: MarkerWaiter;
  /** take calls in flight, and the slots they asked for. */
  #inFlight = 0;
  #reserved = 0;
  /** The last take got fewer jobs than it asked for: the queue is drained, block when nothing is in flight. */
  #drained = false;
  #nextWakeMs: number = NEXT_WAKE_NONE;
  /**
   * The last take claimed nothing because the queue's rate limit window is full or a `ctx.rateLimit` hold is on:
   * no claim can succeed before `#nextWakeMs`, so the loop sleeps until then instead of waking on every enqueue.
   */
  #limited = false;
  /** A claim call failed: jobs it may have claimed must be handed back before the next claim. */
  #recoverNeeded = false;
  #failures = 0;
  #retryAt = 0;
  #slotWaiter: (() => void) | undefined;
  #done: Promise<void> | undefined;

  constructor(core: WorkerCore, acks: AckBatcher, runs: RunExecutor, waiter: MarkerWaiter) {
    this.#core = core;
    this.#acks = acks;
    this.#runs = runs;
    this.#waiter = waiter;
  }

  /** Starts the loop; it runs while the worker's state is `running`. */
  start(): void {
    this.#done = this.#run();
  }

  /**
   * Resolves once the loop has stopped and every claim call it made has been answered (its jobs started, or handed
   * back).
   */
  async stopped(): Promise<void> {
    await this.#done?.catch(() => {});
  }

  /** A slot was freed or an ack is waiting: the loop looks again. */
  wake(): void {
    const waiter = this.#slotWaiter;
    this.#slotWaiter = undefined;
    waiter?.();
  }

  async #run(): Promise<void> {
    const core = this.#core;
    const acks = this.#acks;
    const { concurrency } = core.options;
    const halfBatch = Math.max(1, Math.floor(concurrency / 2));
    while (core.state === "running") {
      core.loopAt = Date.now();
      if (this.#retryAt > Date.now()) {
        await sleep(this.#retryAt - Date.now());
        continue;
      }
      // A claim call failed: the jobs it may have claimed are handed back first. Only with no claim call in flight,
      // so that every claim this worker will learn of is already known.
      if (this.#recoverNeeded && this.#inFlight === 0) {
        if (!(await this.#recover())) continue;
      }
      if (this.#drained && this.#inFlight === 0 && acks.size === 0) {
        this.#drained = false;
        if (this.#limited) await this.#sleepUntilOpen(this.#nextWakeMs);
        else await this.#waiter.wait(this.#nextWakeMs);
        continue;
      }
      const free = concurrency - this.#runs.running.size - this.#reserved;
      const worth =
        this.#inFlight === 0 ? free > 0 || acks.size > 0 : free >= halfBatch || acks.size >= halfBatch;
      if (!worth || this.#inFlight >= 2) {
        await this.#slotFreed();
        // let the other runs finishing in this tick queue their acks too: one round trip for all of them
        await new Promise((resolve) => setImmediate(resolve));
        continue;
      }
      // at most half the slots per call, so one batch runs here while Redis prepares the next
      this.#send(acks.takeAll(), Math.max(0, Math.min(free, halfBatch)));
    }
    // close() waits for the calls still in flight: their claimed jobs must run or be released
    while (this.#inFlight > 0) await this.#slotFreed();
    if (this.#recoverNeeded) await this.#recover();
  }

  /** One take call: sends `sent` and claims up to `want` jobs, without waiting for the reply. */
  #send(sent: Ack[], want: number): void {
    const core = this.#core;
    this.#inFlight++;
    this.#reserved += want;
    core.take(sent, want).then(
      (result) => {
        try {
          this.#inFlight--;
          this.#reserved -= want;
          this.#failures = 0;
          const claimed = this.#apply(sent, result);
          if (want > 0 && claimed < want) {
            this.#drained = true;
            this.#nextWakeMs = result.nextWakeMs;
            this.#limited =
              claimed === 0 &&
              result.nextWakeMs > 0 &&
              (result.limit === TAKE_LIMIT.rate || result.limit === TAKE_LIMIT.held);
          }
        } catch (error) {
          core.listenerFailed(error);
        } finally {
          this.wake();
        }
      },
      (error: unknown) => {
        try {
          this.#inFlight--;
          this.#reserved -= want;
          // Redis may have applied the claim before the reply was lost: those jobs are this worker's now.
          if (want > 0) this.#recoverNeeded = true;
          this.#acks.callFailed(sent, error);
          if (core.state === "running") {
            this.#retryAt = Date.now() + reconnectDelayMs(++this.#failures);
            core.reportError(toTqError(error, `${core.label}: claiming jobs failed (retrying)`));
          }
        } catch (thrown) {
          core.listenerFailed(thrown);
        } finally {
          this.wake();
        }
      },
    );
  }

  /** Reports the outcome of each ack and starts the claimed runs. Returns how many were claimed. */
  #apply(sent: readonly Ack[], result: TakeResult): number {
    const core = this.#core;
    const claims = result.claimed;
    // Held before anything is reported: a listener that throws must not leave a claimed job unknown.
    for (const claim of claims) core.held.set(claim.id, claim.token);
    this.#acks.report(sent, result.outcomes);
    // Announced before any handler runs: a handler that kills the process must not hide its batch-mates.
    if (claims.length > 0) {
      try {
        core.hooks.claimed?.(claims);
      } catch (error) {
        core.listenerFailed(error);
      }
    }
    for (const claim of claims) this.#runs.start(claim);
    return claims.length;
  }

  /**
   * Hands back the jobs claimed under this worker's id that it does not hold (a claim whose reply was lost).
   * Returns false (and backs off) if Redis could not be reached.
   */
  async #recover(): Promise<boolean> {
    const core = this.#core;
    const command = core.command;
    if (!command) return true;
    const held = Array.from(core.held, ([id, token]) => ({ id, token }));
    try {
      await recoverClaims(command, core.keys, core.options.workerId, held);
      this.#recoverNeeded = false;
      return true;
    } catch (error) {
      if (core.state === "running") {
        this.#retryAt = Date.now() + reconnectDelayMs(++this.#failures);
        core.reportError(
          toTqError(error, `${core.label}: handing back claims whose reply was lost failed (retrying)`),
        );
      }
      return false;
    }
  }

  /**
   * Sleeps `ms` (at most `maxBlockMs`, so the loop still turns and the registry sees it alive), or until a slot is
   * freed, an ack is waiting or the worker closes.
   */
  async #sleepUntilOpen(ms: number): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const slept = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, Math.min(ms, this.#core.options.maxBlockMs));
    });
    await Promise.race([slept, this.#slotFreed()]);
    clearTimeout(timer);
    this.#slotWaiter = undefined;
  }

  #slotFreed(): Promise<void> {
    return new Promise((resolve) => {
      this.#slotWaiter = resolve;
    });
  }
}
