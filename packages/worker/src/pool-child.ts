// The entry point of a WorkerPool child process (dist/pool-child.js). It waits for its config over IPC, imports the
// handlers module, runs one Worker, and tells the supervisor which runs it holds so that the supervisor can fail them
// at once if this process dies, and kill it if a handler overruns its timeoutMs without yielding.
import { Worker as Thread } from "node:worker_threads";
import { createLogger, parseLogFormat } from "@tq/connection";
import { isTqError, MAX_TIMER_MS } from "@tq/job-schema";
import type { TqMetrics } from "@tq/metrics";
import { loadHandlers } from "./load-handlers.js";
import type { ChildConfig, ChildMessage, FromChild } from "./pool-protocol.js";
import { HEARTBEAT_MS, parseToChild } from "./pool-protocol.js";
import { thrownMessage } from "./serialize-error.js";
import { Worker } from "./worker.js";
import { type WorkerHooks, withHooks } from "./worker-hooks.js";

/** This process's log lines and its worker's (handlers' `ctx.logger` among them): on stderr, as `TQ_LOG_FORMAT` says. */
const logger = createLogger("worker", { format: parseLogFormat(process.env.TQ_LOG_FORMAT) ?? "text" });

/** How often the child checks that its supervisor is still its parent, in milliseconds. */
const PARENT_CHECK_MS = 1_000;
/** Beyond the shutdown timeout, how long an orphaned child may take to exit before its watchdog kills it. */
const ORPHAN_KILL_MARGIN_MS = 5_000;

let worker: Worker | undefined;
/** The histograms of this child's runs, when the pool serves `/metrics`; sent on request, merged by the supervisor. */
let metrics: TqMetrics | undefined;
let config: ChildConfig | undefined;
/** The channel key from `start`: every message to the supervisor carries it, so that it can tell them from a handler's. */
let channelKey = "";
let starting: Promise<void> | undefined;
let stopping: Promise<void> | undefined;
let leaving = false;
let ended: string[] = [];
let endedFlush = false;
/** Runs announced as `active` (they have a timeoutMs, so the supervisor arms a hard timeout for them). */
const timed = new Set<string>();
let settled: string[] = [];
let settledFlush = false;

function tagged(message: ChildMessage): FromChild {
  return { ...message, k: channelKey };
}

function send(message: ChildMessage): void {
  if (!process.connected) return;
  try {
    // With a callback, a write that fails because the supervisor just died (EPIPE) is handed to it; without one,
    // Node emits it as an 'error' on `process`, which crashes this child mid-job instead of letting it drain.
    process.send?.(tagged(message), undefined, {}, () => {});
  } catch {
    // the supervisor is gone; the disconnect handler shuts this process down
  }
}

/** Sends a message and waits until it is written (or the channel is gone), so that exiting cannot drop it. */
function sendAndWait(message: ChildMessage): Promise<void> {
  return new Promise((resolve) => {
    if (!process.connected || !process.send) {
      resolve();
      return;
    }
    const timer = setTimeout(resolve, 1_000);
    try {
      process.send(tagged(message), undefined, {}, () => {
        clearTimeout(timer);
        resolve();
      });
    } catch {
      clearTimeout(timer);
      resolve();
    }
  });
}

/** Leaves with `code` once the last messages are out. */
function leave(code: number): void {
  leaving = true;
  process.exitCode = code;
  if (process.connected) process.disconnect();
  setTimeout(() => process.exit(code), 100).unref();
}

function flushSettled(): void {
  settledFlush = false;
  if (settled.length === 0) return;
  const runs = settled;
  settled = [];
  send({ t: "settled", runs });
}

function flushEnded(): void {
  endedFlush = false;
  if (ended.length === 0) return;
  const runs = ended;
  ended = [];
  send({ t: "ended", runs });
}

/** What the Worker tells this process about its runs, passed on to the supervisor. */
const hooks: WorkerHooks = {
  // Sent at once (not batched): the next thing to run may be a handler that exits or never yields.
  claimed(runs) {
    // Runs that ended in the same reply go first, so that a crash right after cannot leave them looking held.
    flushEnded();
    const flat: string[] = [];
    for (const run of runs) flat.push(run.id, run.token);
    send({ t: "claimed", runs: flat });
  },
  active(job, run) {
    if (run.timeoutMs === undefined) return;
    timed.add(`${run.id}\n${run.token}`);
    send({
      t: "active",
      id: run.id,
      token: run.token,
      task: job.task,
      timeoutMs: run.timeoutMs,
      retryDelayMs: run.retryDelayMs,
    });
  },
  // Endings can wait for the end of the tick: a late one only makes the supervisor try to fail a run that is no
  // longer active, which the fencing token turns into a no-op.
  ended(id, token) {
    timed.delete(`${id}\n${token}`);
    ended.push(id, token);
    if (!endedFlush) {
      endedFlush = true;
      setImmediate(flushEnded);
    }
  },
};

/**
 * A thread that outlives a blocked event loop: if the supervisor is gone (this process was re-parented) and the
 * graceful shutdown has not ended the process within its grace, it kills the process. A handler stuck in a busy loop
 * cannot leave an orphan behind.
 */
function startOrphanWatchdog(supervisorPid: number, graceMs: number): void {
  const source = `
    const { workerData } = require("node:worker_threads");
    let since = 0;
    setInterval(() => {
      if (process.ppid === workerData.supervisorPid) return;
      if (since === 0) since = Date.now();
      else if (Date.now() - since > workerData.graceMs) process.kill(process.pid, "SIGKILL");
    }, ${PARENT_CHECK_MS});
  `;
  try {
    const thread = new Thread(source, {
      eval: true,
      workerData: { supervisorPid, graceMs },
      stdout: false,
      stderr: false,
    });
    thread.unref();
    thread.on("error", () => {});
  } catch {
    // without the thread, the parent check on the main loop below still applies
  }
}

function stop(timeoutMs: number, exitCode: number): Promise<void> {
  stopping ??= (async () => {
    // If close itself hangs (a handler that never yields holds the loop), the watchdog ends the process.
    const hard = setTimeout(
      () => process.exit(exitCode || 1),
      Math.min(timeoutMs + ORPHAN_KILL_MARGIN_MS, MAX_TIMER_MS),
    );
    hard.unref();
    try {
      // A stop that arrives while the Worker is still starting waits for it, so nothing it claims is left behind.
      await starting;
      if (leaving) return;
      await worker?.close({ timeoutMs });
    } catch (error) {
      logger.error({ pid: process.pid, err: error }, "closing the worker failed");
    }
    flushEnded();
    await sendAndWait({ t: "closed" });
    leave(exitCode);
  })();
  return stopping;
}

async function start(received: ChildConfig): Promise<void> {
  config = received;
  const { shutdownTimeoutMs } = received.worker;
  startOrphanWatchdog(received.supervisorPid, shutdownTimeoutMs + ORPHAN_KILL_MARGIN_MS);
  const parentCheck = setInterval(() => {
    if (process.ppid !== received.supervisorPid) {
      clearInterval(parentCheck);
      void stop(shutdownTimeoutMs, 0);
    }
  }, PARENT_CHECK_MS);
  parentCheck.unref();
  try {
    const handlers = await loadHandlers(received.moduleUrl);
    const { queue, ...options } = received.worker;
    worker = new Worker(queue, handlers, withHooks({ ...options, logger }, hooks));
    if (received.metrics) {
      // loaded only when the pool serves /metrics
      const [{ createMetrics }, { Registry }] = await Promise.all([
        import("@tq/metrics"),
        import("prom-client"),
      ]);
      metrics = createMetrics({ registry: new Registry(), queueSeries: false });
      metrics.observe(worker);
    }
    // A timed run that settled here stops counting towards the hard timeout, even while its ack is delayed.
    worker.on("settled", (id, token) => {
      if (!timed.delete(`${id}\n${token}`)) return;
      settled.push(id, token);
      if (!settledFlush) {
        settledFlush = true;
        setImmediate(flushSettled);
      }
    });
    if (stopping) return;
    await worker.start();
  } catch (error) {
    const code = isTqError(error) ? error.code : "HANDLER";
    await worker?.close({ timeoutMs: 0 }).catch(() => {});
    await sendAndWait({ t: "fatal", code, message: thrownMessage(error) });
    leave(1);
    return;
  }
  send({ t: "ready" });
  // The supervisor kills a child that stays silent for a whole lease: its loop is blocked and its leases are lost.
  setInterval(
    () => send({ t: "alive", consuming: worker?.health().consuming ?? false }),
    HEARTBEAT_MS,
  ).unref();
}

process.on("message", (received: unknown) => {
  const message = parseToChild(received);
  if (!message) return;
  if (message.t === "start" && !config) {
    channelKey = message.key;
    starting = start(message.config);
  } else if (message.t === "close") void stop(message.timeoutMs, 0);
  else if (message.t === "metrics") {
    const n = message.n;
    void (metrics?.registry.getMetricsAsJSON() ?? Promise.resolve([])).then(
      (json) => send({ t: "metrics", n, metrics: json as unknown as Array<Record<string, unknown>> }),
      () => send({ t: "metrics", n, metrics: [] }),
    );
  }
});

// The supervisor died or closed the channel: stop claiming and drain, like on SIGTERM.
process.on("disconnect", () => {
  if (leaving) return;
  if (!config) process.exit(1);
  void stop(config.worker.shutdownTimeoutMs, 0);
});

// A signal sent to the whole process group (Ctrl-C in a terminal, systemd's stop) reaches the children too: drain.
for (const signal of ["SIGTERM", "SIGINT"] as const) {
  process.on(signal, () => {
    if (!config) process.exit(0);
    void stop(config.worker.shutdownTimeoutMs, 0);
  });
}

if (!process.send) {
  console.error("tq pool child: this is started by WorkerPool (child_process.fork), not directly");
  process.exit(2);
}
