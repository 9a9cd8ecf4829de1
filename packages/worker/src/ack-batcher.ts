import { setTimeout as sleep } from "node:timers/promises";
import { reconnectDelayMs, toTqError } from "@tq/connection";
import { quote, TqError } from "@tq/job-schema";
import { ACK_OP, ACK_OUTCOME } from "@tq/protocol";
import type { WorkerJob } from "./handlers.js";
import type { AckInput } from "./redis-calls.js";
import { describeThrown, serializeError, toError } from "./serialize-error.js";
import type { WorkerCore } from "./worker-core.js";

/** A run's outcome on its way to Redis. */
export interface Ack extends AckInput {
  /** Sent before in a call whose reply was lost: it may have been applied then, so "lease lost" now means nothing. */
  resent?: boolean;
  /** How many calls carrying this ack have failed. */
  failures: number;
  /** Sent on its own (not batched with other acks or claims) because a call carrying it failed. */
  alone?: boolean;
  /** A failure ack standing in for an ack Redis refused; if Redis refuses it too, the ack is given up. */
  replaces?: Ack;
  job: WorkerJob | undefined;
  result?: unknown;
  error?: Error;
}

/** After this many failed calls an ack is sent on its own, so that it cannot hold up other acks or claims. */
const ACK_FAILURES_BEFORE_ALONE = 2;
/**
 * The smallest `proto-max-bulk-len` Redis accepts (1 MiB). An ack larger than that whose call keeps losing its
 * connection is taken as refused: Redis drops a connection that sends a bulk string over its limit.
 */
const MIN_PROTO_MAX_BULK_LEN = 1024 * 1024;
/** How many times an ack sent on its own may lose its connection before a large one is taken as refused. */
const ALONE_CONNECTION_FAILURES = 3;

/** Replies that say Redis is busy or failing over (worth retrying as is), not that it refuses this call. */
const TRANSIENT_REPLY = /^(OOM|BUSY|LOADING|READONLY|MASTERDOWN|TRYAGAIN|CLUSTERDOWN|NOREPLICAS|NOPERM)\b/;

/** Whether a failed call was refused by Redis for what it carried (not a connection or a transient server state). */
function isRefusal(error: unknown): boolean {
  const e = toTqError(error, "");
  if (e.code !== "REDIS") return false;
  const cause = e.cause;
  const message = cause instanceof Error ? cause.message : "";
  return !TRANSIENT_REPLY.test(message);
}

/**
 * Collects the outcomes of runs until they go to Redis, and reports what Redis made of each. The fetch loop sends
 * them with its next claim; while it blocks (or once the worker is closing) they go out on their own, batched per
 * tick. An ack whose calls keep failing, or that Redis refuses, is sent alone so that it cannot hold up the others.
 */
export class AckBatcher {
  readonly #core: WorkerCore;
  /** Whether the fetch loop sends pending acks with its next call (it is running and not blocked). */
  readonly #loopSends: () => boolean;
  /** Wakes the fetch loop: an ack is waiting. */
  readonly #wake: () => void;
  #pending: Ack[] = [];
  /** Acks being sent on their own. */
  readonly #alone = new Set<Promise<void>>();
  #flushScheduled = false;
  #flushing: Promise<void> | undefined;

  constructor(core: WorkerCore, loopSends: () => boolean, wake: () => void) {
    this.#core = core;
    this.#loopSends = loopSends;
    this.#wake = wake;
  }

  /** How many acks wait to be sent. */
  get size(): number {
    return this.#pending.length;
  }

  add(ack: Ack): void {
    this.#pending.push(ack);
    this.#wake();
    if (!this.#loopSends()) this.#scheduleFlush();
  }

  /** Takes every waiting ack, to send with a claim. */
  takeAll(): Ack[] {
    const acks = this.#pending;
    this.#pending = [];
    return acks;
  }

  /** Reports what Redis made of each ack (`outcomes`: one letter per ack, from the take reply). */
  report(acks: readonly Ack[], outcomes: string): void {
    for (let i = 0; i < acks.length; i++) {
      try {
        this.#reportOutcome(acks[i] as Ack, outcomes[i] ?? ACK_OUTCOME.leaseLost);
      } catch (error) {
        this.#core.listenerFailed(error);
      }
    }
  }

  /**
   * A call carrying acks failed. Acks go back in front of the next call (the call may have been applied before its
   * reply was lost: the script then reports what it did); an ack whose calls keep failing, or that Redis refused,
   * is sent on its own so that it cannot hold up other acks or claims.
   */
  callFailed(acks: readonly Ack[], error: unknown): void {
    const refused = isRefusal(error);
    const retry: Ack[] = [];
    for (const ack of acks) {
      ack.resent = true;
      ack.failures++;
      if (refused || ack.failures >= ACK_FAILURES_BEFORE_ALONE) this.#sendAlone(ack);
      else retry.push(ack);
    }
    if (retry.length > 0) this.#pending = retry.concat(this.#pending);
  }

  /** For `close()`: sends every waiting ack, and waits for those sent alone (which give up after a few failures). */
  async drain(): Promise<void> {
    await this.#flushing;
    for (let i = 0; i < 5 && this.#pending.length > 0; i++) await this.#flush();
    while (this.#alone.size > 0) await Promise.all([...this.#alone]);
  }

  /** Acks that finish while the loop blocks (or after close began) go out on their own, batched per tick. */
  #scheduleFlush(): void {
    if (this.#flushScheduled) return;
    this.#flushScheduled = true;
    setImmediate(() => {
      this.#flushScheduled = false;
      if (this.#flushing || this.#pending.length === 0) return;
      if (this.#loopSends()) return; // the loop takes them
      this.#flushing = this.#flush().finally(() => {
        this.#flushing = undefined;
        if (this.#pending.length > 0 && !this.#loopSends()) this.#scheduleFlush();
      });
    });
  }

  async #flush(): Promise<void> {
    const acks = this.takeAll();
    if (acks.length === 0) return;
    let outcomes: string;
    try {
      outcomes = (await this.#core.take(acks, 0)).outcomes;
    } catch (error) {
      this.callFailed(acks, error);
      this.#core.reportError(toTqError(error, `${this.#core.label}: acknowledging jobs failed (retrying)`));
      await sleep(100);
      return;
    }
    this.report(acks, outcomes);
  }

  /**
   * Sends one ack in a call of its own until Redis answers. If Redis refuses it (a result over
   * `proto-max-bulk-len`, a script error), the run is recorded as failed instead, with the reason; if Redis refuses
   * that too, the ack is given up and the job's lease expires. Connection errors are retried with a backoff.
   */
  #sendAlone(first: Ack): void {
    first.alone = true;
    const run = async () => {
      let ack = first;
      let connectionFailures = 0;
      for (;;) {
        try {
          const acks = [ack];
          this.report(acks, (await this.#core.take(acks, 0)).outcomes);
          return;
        } catch (error) {
          ack.resent = true;
          let refused = isRefusal(error);
          if (!refused) {
            connectionFailures++;
            const size = Buffer.byteLength(ack.payload, "utf8");
            refused = connectionFailures >= ALONE_CONNECTION_FAILURES && size > MIN_PROTO_MAX_BULK_LEN;
          }
          if (refused) {
            if (ack.replaces) {
              this.#giveUp(ack, error);
              return;
            }
            ack = this.#replacement(ack, error);
            connectionFailures = 0;
            continue;
          }
          if (this.#core.state !== "running" && connectionFailures >= 5) {
            this.#giveUp(ack, error);
            return;
          }
          await sleep(reconnectDelayMs(connectionFailures));
        }
      }
    };
    const sending = run()
      .catch((error: unknown) => this.#core.listenerFailed(error))
      .finally(() => {
        this.#alone.delete(sending);
      });
    this.#alone.add(sending);
  }

  /** A failure ack standing in for one Redis refused: the job fails without retries, saying why. */
  #replacement(ack: Ack, cause: unknown): Ack {
    const refusal = toError(cause).message;
    const size = Buffer.byteLength(ack.payload, "utf8");
    const job = ack.job;
    const what = `job ${quote(ack.id)}${job ? ` (task ${quote(job.task)})` : ""} in queue ${quote(this.#core.queue)}`;
    const error = new TqError(
      /bulk length|Protocol error/i.test(refusal) || size > MIN_PROTO_MAX_BULK_LEN
        ? "PAYLOAD_TOO_LARGE"
        : "REDIS",
      `Redis refused to record the ${ack.op === ACK_OP.complete ? "result" : "failure"} of ${what} (${size} bytes): ` +
        `${describeThrown(refusal)}; the job was failed instead`,
      { cause, retryable: false },
    );
    const attempt = job?.attempt ?? 1;
    return {
      id: ack.id,
      token: ack.token,
      op: ACK_OP.fail,
      payload: JSON.stringify(serializeError(error, attempt)),
      delayMs: -1,
      job,
      result: ack.result,
      error,
      failures: 0,
      alone: true,
      resent: true,
      replaces: ack,
    };
  }

  /** Redis refused an ack and its replacement: this process lets the run go; its lease expires in Redis. */
  #giveUp(ack: Ack, cause: unknown): void {
    this.#core.ended(ack.id, ack.token);
    this.#core.reportError(
      toTqError(
        cause,
        `${this.#core.label}: Redis refused the outcome of job ${quote(ack.id)}; its lease will expire and it will run again`,
      ),
    );
  }

  #reportOutcome(ack: Ack, outcome: string): void {
    // one ACK_OUTCOME letter; anything else (ACK_OUTCOME.leaseLost) means the lease was lost
    const core = this.#core;
    core.ended(ack.id, ack.token);
    if (!ack.job) return;
    const job = ack.job;
    const events = core.events;
    // a run handed back (ctx.rateLimit, then a throw) did not count: the job runs again, as the same attempt
    if (outcome === ACK_OUTCOME.handedBack) return;
    if (outcome !== ACK_OUTCOME.leaseLost) {
      core.processed++;
      if (outcome !== ACK_OUTCOME.completed) core.failed++;
    }
    switch (outcome) {
      case ACK_OUTCOME.completed:
        events.emit("completed", job, ack.result);
        break;
      case ACK_OUTCOME.retrying:
        events.emit("retrying", job, ack.error ?? new Error("run failed"), ack.delayMs);
        break;
      case ACK_OUTCOME.failed:
        events.emit("failed", job, ack.error ?? new Error("job failed"));
        break;
      case ACK_OUTCOME.tooLarge:
        events.emit(
          "failed",
          job,
          new TqError(
            "PAYLOAD_TOO_LARGE",
            `the ${ack.op === ACK_OP.complete ? "result" : "error"} of job ${quote(job.id)} (task ${quote(job.task)}) in queue ${quote(core.queue)} is over the ${core.options.maxResultBytes}-byte limit (maxResultBytes); Redis did not store it and failed the job`,
            { retryable: false },
          ),
        );
        break;
      case ACK_OUTCOME.undecodable:
        events.emit(
          "failed",
          job,
          new TqError(
            "DECODE",
            `the key of job ${quote(job.id)} (task ${quote(job.task)}) in queue ${quote(core.queue)} no longer held a job record (something else overwrote it); the job was failed`,
            { retryable: false },
          ),
        );
        break;
      default:
        if (ack.resent) break;
        core.reportError(
          new TqError(
            "LEASE_LOST",
            `job ${quote(ack.id)} (task ${quote(job.task)}) in queue ${quote(core.queue)} finished after its lease was lost; another worker owns it and this run's outcome was discarded`,
          ),
        );
    }
  }
}
