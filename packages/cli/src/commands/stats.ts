import type { JobCounts } from "@tq/client";
import { PRIORITIES } from "@tq/job-schema";
import { queueKeys } from "@tq/protocol";
import { type CommonFlags, withSession } from "../command-kit.js";
import { duration, fields } from "../format.js";
import type { CliIo } from "../io.js";
import type { Session } from "../session.js";

/** The flags of `tq stats`. */
export interface StatsFlags extends CommonFlags {
  watch?: boolean;
  intervalMs: number;
}

/** What `tq stats --json` prints. */
export interface StatsView {
  queue: string;
  counts: JobCounts;
  paused: boolean;
  /** How long the next job to run has waited since it was created, in ms; null when nothing is pending. */
  oldestPendingAgeMs: number | null;
}

/** The age of the oldest job at the claiming end of each priority list (LINDEX -1: one read per priority). */
async function oldestPendingAgeMs(session: Session, queue: string, now: number): Promise<number | null> {
  const k = queueKeys(queue, session.prefix);
  const heads = await Promise.all(
    PRIORITIES.map((p) => session.send<string | null>(["LINDEX", k.pending[p], "-1"], k.base)),
  );
  const created = await Promise.all(
    heads.map((id) => (id ? session.send<string | null>(["HGET", k.job(id), "createdAt"], k.base) : null)),
  );
  const times = created.map(Number).filter((t) => Number.isFinite(t) && t > 0);
  return times.length === 0 ? null : Math.max(0, now - Math.min(...times));
}

async function readStats(session: Session, name: string): Promise<StatsView> {
  const queue = session.queue(name);
  const [counts, paused, now] = await Promise.all([queue.counts(), queue.isPaused(), session.now()]);
  return { queue: name, counts, paused, oldestPendingAgeMs: await oldestPendingAgeMs(session, name, now) };
}

function human(view: StatsView): string {
  const c = view.counts;
  return fields([
    ["queue", `${view.queue}${view.paused ? " (paused)" : ""}`],
    ["pending", String(c.pending)],
    ["scheduled", String(c.scheduled)],
    ["active", String(c.active)],
    ["completed", String(c.completed)],
    ["failed", String(c.failed)],
    ["oldest pending", duration(view.oldestPendingAgeMs)],
  ]);
}

/**
 * `tq stats <queue> [--watch]`: counts (LLEN/ZCARD), paused, the oldest pending job's age. `--watch` prints again
 * every `--interval-ms` until Ctrl-C: redrawn in place on a terminal, one JSON line per sample with `--json`.
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
