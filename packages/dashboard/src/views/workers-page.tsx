import type { WorkerInfo } from "@tq/client";
import { age } from "./format.js";
import { Layout, type PageContext } from "./layout.js";

/** Every queue's live workers, stale ones marked; ages on the Redis clock. */
export function WorkersPage(props: { ctx: PageContext; workers: WorkerInfo[]; now: number }) {
  const { ctx, now } = props;
  const ago = (ms: number) => age(now - ms);
  return (
    <Layout ctx={ctx} title="Workers">
      {props.workers.length === 0 ? (
        <p class="empty">No live workers.</p>
      ) : (
        <table class="workers">
          <thead>
            <tr>
              <th>Id</th>
              <th>Queue</th>
              <th>Host</th>
              <th>Pid</th>
              <th>Concurrency</th>
              <th>Active</th>
              <th>Processed</th>
              <th>Failed</th>
              <th>State</th>
              <th>Heartbeat</th>
              <th>Up</th>
              <th>Version</th>
            </tr>
          </thead>
          <tbody>
            {props.workers.map((w) => (
              <tr data-worker={w.id} class={w.state === "stale" ? "stale" : undefined}>
                <td>{w.id}</td>
                <td>
                  <a href={`${ctx.base}/queues/${encodeURIComponent(w.queue)}`}>{w.queue}</a>
                </td>
                <td>{w.host}</td>
                <td>{String(w.pid)}</td>
                <td>{String(w.concurrency)}</td>
                <td>{String(w.active)}</td>
                <td>{String(w.processed)}</td>
                <td>{String(w.failed)}</td>
                <td>{w.state === "stale" ? "STALE" : w.state}</td>
                <td>{`${ago(w.heartbeatAt)} ago`}</td>
                <td>{ago(w.startedAt)}</td>
                <td>{w.version}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </Layout>
  );
}
