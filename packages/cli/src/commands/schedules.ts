import { type ScheduleInfo, Scheduler } from "@tq/scheduler";
import { type CommonFlags, print, withSession } from "../command-kit.js";
import { brief, duration, table, time } from "../format.js";
import type { CliIo } from "../io.js";

function timing({ timing: t }: ScheduleInfo): string {
  return "cron" in t ? `cron ${t.cron} (${t.timezone})` : `every ${duration(t.everyMs)}`;
}

/** `tq schedules`: the named schedules under the prefix, read by `Scheduler.listSchedules()` (nothing is started). */
export async function schedulesCommand(flags: CommonFlags, io: CliIo): Promise<void> {
  const schedules = await withSession(flags, io, async (session) => {
    const scheduler = new Scheduler({ connection: session.connection.client, prefix: session.prefix });
    scheduler.on("error", () => {});
    try {
      return await scheduler.listSchedules();
    } finally {
      await scheduler.close();
    }
  });
  print(io, flags, { schedules }, () =>
    schedules.length === 0
      ? "no schedules under this prefix\n"
      : table(
          ["NAME", "QUEUE", "TASK", "TIMING", "NEXT RUN", "ARGS"],
          schedules.map((s) => [s.name, s.queue, s.task, timing(s), time(s.nextRunAt), brief(s.args, 40)]),
        ),
  );
}
