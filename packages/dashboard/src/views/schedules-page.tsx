import type { ScheduleInfo } from "@tq/scheduler";
import { age, at, short } from "./format.js";
import { Layout, type PageContext } from "./layout.js";

function timing({ timing: t }: ScheduleInfo): string {
  return "cron" in t ? `cron ${t.cron} (${t.timezone})` : `every ${age(t.everyMs)}`;
}

/**
 * The named schedules: timing, next fire and target. The scheduler does not record a schedule's last fire; its
 * jobs (ids `<name>:<tick ms>`) are in the target queue.
 */
export function SchedulesPage(props: { ctx: PageContext; schedules: ScheduleInfo[]; now: number }) {
  const { ctx, now } = props;
  return (
    <Layout ctx={ctx} title="Schedules">
      {props.schedules.length === 0 ? (
        <p class="empty">No schedules under this prefix.</p>
      ) : (
        <table class="schedules">
          <thead>
            <tr>
              <th>Name</th>
              <th>Timing</th>
              <th>Next fire</th>
              <th>In</th>
              <th>Queue</th>
              <th>Task</th>
              <th>Args</th>
              <th>Updated</th>
            </tr>
          </thead>
          <tbody>
            {props.schedules.map((s) => (
              <tr data-schedule={s.name}>
                <td>{s.name}</td>
                <td>{timing(s)}</td>
                <td>{s.nextRunAt === null ? "never again" : at(s.nextRunAt)}</td>
                <td>{s.nextRunAt === null ? "-" : age(s.nextRunAt - now)}</td>
                <td>
                  <a href={`${ctx.base}/queues/${encodeURIComponent(s.queue)}`}>{s.queue}</a>
                </td>
                <td>{s.task}</td>
                <td class="mono">{short(s.args, 60)}</td>
                <td>{at(s.updatedAt)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </Layout>
  );
}
