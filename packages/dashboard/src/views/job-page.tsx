import type { JobDetail } from "../dashboard-data.js";
import { age, at, pretty } from "./format.js";
import { Action, Layout, Notice, type PageContext } from "./layout.js";

/** One job: its fields, args, options, result or errors with stacks, progress, worker and timeline. */
export function JobPage(props: { ctx: PageContext; detail: JobDetail; notice?: string }) {
  const { ctx, detail } = props;
  const { job } = detail;
  const q = `${ctx.base}/queues/${encodeURIComponent(job.queue)}`;
  const rows: Array<[string, string]> = [
    ["Queue", job.queue],
    ["Task", job.task],
    ["Status", job.status],
    ["Priority", job.priority],
    ["Runs", `${job.attempts} of at most ${job.maxRetries + 1} (maxRetries ${job.maxRetries})`],
    ["Stalls", String(job.stalls)],
    ["Worker", job.workerId ?? "-"],
    ["Created", at(job.createdAt)],
  ];
  if (job.runAt !== undefined) rows.push(["Runs at", at(job.runAt)]);
  if (job.startedAt !== undefined) rows.push(["Started", at(job.startedAt)]);
  if (job.finishedAt !== undefined) rows.push(["Finished", at(job.finishedAt)]);
  if (job.waitedMs !== undefined) rows.push(["Waited", age(job.waitedMs)]);
  if (job.startedAt !== undefined && job.finishedAt !== undefined && job.finishedAt >= job.startedAt) {
    rows.push(["Ran", age(job.finishedAt - job.startedAt)]);
  }
  const errorCount = job.errorCount ?? detail.errors.length;
  return (
    <Layout ctx={ctx} title={`Job ${job.id}`}>
      <Notice text={props.notice} />
      <p>
        <a href={`${q}?state=${job.status}`}>{`← ${job.queue}, ${job.status}`}</a>
      </p>
      <div class="actions">
        {job.status === "failed" ? (
          <Action ctx={ctx} action={`${q}/job/retry`} label="Retry" fields={{ id: job.id }} />
        ) : null}
        {job.status === "scheduled" || job.status === "pending" || job.status === "active" ? (
          <Action ctx={ctx} action={`${q}/job/cancel`} label="Cancel" fields={{ id: job.id }} danger />
        ) : null}
      </div>
      <dl class="fields" data-status={job.status}>
        {rows.map(([key, value]) => (
          <>
            <dt>{key}</dt>
            <dd data-field={key.toLowerCase()}>{value}</dd>
          </>
        ))}
      </dl>
      <h2>Args</h2>
      <pre class="args">{pretty(job.args)}</pre>
      <h2>Options</h2>
      <pre>{pretty({ priority: job.priority, maxRetries: job.maxRetries, ...detail.options })}</pre>
      {job.progress !== undefined ? (
        <>
          <h2>Progress</h2>
          <pre class="progress">{pretty(job.progress)}</pre>
        </>
      ) : null}
      {job.result !== undefined ? (
        <>
          <h2>Result</h2>
          <pre class="result">{pretty(job.result)}</pre>
        </>
      ) : null}
      {detail.errors.length > 0 ? (
        <>
          <h2>
            {`Errors (${errorCount} failed run(s)${errorCount > detail.errors.length ? `, newest ${detail.errors.length} kept` : ""})`}
          </h2>
          {detail.errors.map((error, i) => (
            <details class="run-error" open={i === detail.errors.length - 1}>
              <summary>
                {`Run ${error.attempt ?? i + 1}: ${error.name ?? "Error"}${error.code ? ` [${error.code}]` : ""}: ${error.message}`}
              </summary>
              <pre>{error.stack ?? error.message}</pre>
            </details>
          ))}
        </>
      ) : null}
      <h2>Timeline</h2>
      <table class="timeline">
        <thead>
          <tr>
            <th>At</th>
            <th>What</th>
            <th>From</th>
            <th>Detail</th>
          </tr>
        </thead>
        <tbody>
          {detail.timeline.map((entry) => (
            <tr>
              <td>{at(entry.at)}</td>
              <td>{entry.what}</td>
              <td>{entry.source}</td>
              <td>{entry.detail ?? ""}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </Layout>
  );
}
