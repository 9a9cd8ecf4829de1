import type { QueueStats } from "@tq/client";
import { type CommonFlags, withSession } from "../command-kit.js";
import { duration, fields } from "../format.js";
import type { CliIo } from "../io.js";
import type { Session } from "../session.js";

/** The flags of `tq stats`. */
export interface StatsFlags extends CommonFlags {
  watch?: boolean;
  intervalMs: number;
}

/** What `tq stats --json` prints: the queue's name and its `queue.stats()`. */
export interface StatsView extends QueueStats {
  queue: string;
}

/** How many of the last minutes `tq stats` sums besides the whole window. */
export const RECENT_MINUTES = 5;

async function readStats(session: Session, name: string): Promise<StatsView> {
  return { queue: name, ...(await session.queue(name).stats()) };
}

const sum = (values: readonly number[]) => values.reduce((a, b) => a + b, 0);

function human(view: StatsView): string {
  const c = view.counts;
  const window = view.completedPerMinute.length;
  const recent = (values: readonly number[]) =>
    `${sum(values.slice(-RECENT_MINUTES))} in the last ${RECENT_MINUTES} min, ${sum(values)} in ${window} min`;
  return fields([
    ["queue", `${view.queue}${view.paused ? " (paused)" : ""}`],
    ["pending", String(c.pending)],
    ["scheduled", String(c.scheduled)],
    ["active", String(c.active)],
    ["completed", String(c.completed)],
    ["failed", String(c.failed)],
    ["oldest pending", c.pending > 0 ? duration(view.oldestPendingAgeMs) : "-"],
    ["workers", String(view.workers)],
    ["completed/min", recent(view.completedPerMinute)],
    ["failed/min", recent(view.failedPerMinute)],
    ["limits", limits(view)],
  ]);
}

/**
 * The queue's flow-control settings in one line: `none`, or e.g. `100 starts / 1.0s, 20 active, per group: 2 active,
 * 10 starts / 1.0s`.
 */
function limits(view: StatsView): string {
  const { rateLimit, concurrency, heldUntil, groupConcurrency, groupRateLimit } = view.limits;
  const parts: string[] = [];
  if (rateLimit) parts.push(`${rateLimit.max} starts / ${duration(rateLimit.durationMs)}`);
  if (concurrency !== null) parts.push(`${concurrency} active`);
  const group: string[] = [];
  if (groupConcurrency !== null) group.push(`${groupConcurrency} active`);
  if (groupRateLimit) group.push(`${groupRateLimit.max} starts / ${duration(groupRateLimit.durationMs)}`);
  if (group.length > 0) parts.push(`per group: ${group.join(", ")}`);
  if (heldUntil !== null)
    parts.push(`claims held by ctx.rateLimit until ${new Date(heldUntil).toISOString()}`);
  return parts.length > 0 ? parts.join(", ") : "none";
}

/**
 * `tq stats <queue> [--watch]`: the queue's `queue.stats()` (counts, paused, the oldest pending job's age, live
 * workers, completed and failed per minute). `--watch` prints again every `--interval-ms` until Ctrl-C: redrawn in
 * place on a terminal, one JSON line per sample with `--json`.
 */
export async function statsCommand(queueName: string, flags: StatsFlags, io: CliIo): Promise<void> {
  await withSession(flags, io, async (session) => {
    await session.existingQueue(queueName);
    if (!flags.watch) {
      const view = await readStats(session, queueName);
      io.stdout(flags.json ? `${JSON.stringify(view, null, 2)}\n` : human(view));
      return;
    }
    let stop = false;
    void io.interrupted.then(() => {
      stop = true;
    });
    while (!stop) {
      const view = await readStats(session, queueName);
      if (flags.json) io.stdout(`${JSON.stringify(view)}\n`);
      else io.stdout(`${io.isTTY ? "\x1b[2J\x1b[H" : ""}${human(view)}${io.isTTY ? "" : "\n"}`);
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        io.interrupted,
        new Promise((resolve) => {
          timer = setTimeout(resolve, flags.intervalMs);
        }),
      ]);
      clearTimeout(timer);
    }
  });
}
