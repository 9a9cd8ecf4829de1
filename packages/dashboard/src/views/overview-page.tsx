import { JOB_STATES } from "@tq/protocol";
import type { QueueSnapshot } from "../dashboard-data.js";
import { age, count } from "./format.js";
import { Layout, type PageContext } from "./layout.js";

/** The chart data a queue card carries (read by dashboard.js; JSON in an attribute, escaped by hono/jsx). */
export function chartData(snapshot: QueueSnapshot): string {
  return JSON.stringify({
    at: snapshot.at,
    completed: snapshot.stats.completedPerMinute,
    failed: snapshot.stats.failedPerMinute,
    waits: snapshot.waits,
  });
}

/** The counts, paused flag, workers and oldest pending age of one queue, each cell live-updated by its field. */
export function QueueFigures(props: { snapshot: QueueSnapshot; base: string }) {
  const { stats, queue } = props.snapshot;
  const link = (state: string) => `${props.base}/queues/${encodeURIComponent(queue)}?state=${state}`;
  return (
    <table class="figures">
      <thead>
        <tr>
          {JOB_STATES.map((state) => (
            <th>{state}</th>
          ))}
          <th>state</th>
          <th>workers</th>
          <th>oldest pending</th>
        </tr>
      </thead>
      <tbody>
        <tr>
          {JOB_STATES.map((state) => (
            <td>
              <a href={link(state)} data-field={state}>
                {count(stats.counts[state])}
              </a>
            </td>
          ))}
          <td data-field="paused" class={stats.paused ? "paused" : "running"}>
            {stats.paused ? "paused" : "running"}
          </td>
          <td data-field="workers">{String(stats.workers)}</td>
          <td data-field="oldest">{stats.counts.pending > 0 ? age(stats.oldestPendingAgeMs) : "-"}</td>
        </tr>
      </tbody>
    </table>
  );
}

/** The throughput (completed and failed per minute, 60 minutes) and wait charts of one queue. */
export function QueueCharts(props: { snapshot: QueueSnapshot }) {
  return (
    <div class="charts" data-charts={chartData(props.snapshot)}>
      <figure>
        <figcaption>Completed and failed per minute, last 60 minutes</figcaption>
        <div class="chart" data-chart="throughput" />
      </figure>
      <figure>
        <figcaption>Wait before start of the latest completed jobs</figcaption>
        <div class="chart" data-chart="wait" />
      </figure>
    </div>
  );
}

/** The overview: every known queue, live. */
export function OverviewPage(props: { ctx: PageContext; queues: QueueSnapshot[] }) {
  const { ctx } = props;
  return (
    <Layout ctx={ctx} title="Queues" live={`${ctx.base}/live`}>
      {props.queues.length === 0 ? (
        <p class="empty">No queues under this prefix yet: a queue appears once something enqueues to it.</p>
      ) : null}
      {props.queues.map((snapshot) => (
        <section class="queue-card" data-queue={snapshot.queue} data-at={String(snapshot.at)}>
          <h2>
            <a href={`${ctx.base}/queues/${encodeURIComponent(snapshot.queue)}`}>{snapshot.queue}</a>
          </h2>
          <QueueFigures snapshot={snapshot} base={ctx.base} />
          <QueueCharts snapshot={snapshot} />
        </section>
      ))}
    </Layout>
  );
}
