import type { GroupsPage, JobInfo, JobStatus, QueueStats } from "@tq/client";
import { JOB_STATES } from "@tq/protocol";
import { type JobPage, PAGE_SIZE, type QueueSnapshot } from "../dashboard-data.js";
import { at, count, short } from "./format.js";
import { Action, Layout, Notice, type PageContext } from "./layout.js";
import { QueueCharts, QueueFigures } from "./overview-page.js";

/** The time that matters most for a job in its state. */
function when(job: JobInfo): number | undefined {
  switch (job.status) {
    case "scheduled":
      return job.runAt;
    case "active":
      return job.startedAt;
    case "completed":
    case "failed":
      return job.finishedAt;
    default:
      return job.createdAt;
  }
}

const WHEN: Record<JobStatus, string> = {
  scheduled: "Runs at",
  pending: "Created",
  active: "Started",
  completed: "Finished",
  failed: "Finished",
};

/** A job's page, by queue and id (the id as a query value: ids may hold `/` and `?`). */
export function jobHref(base: string, queue: string, id: string): string {
  return `${base}/queues/${encodeURIComponent(queue)}/job?id=${encodeURIComponent(id)}`;
}

function Pager(props: { href: (page: number) => string; page: JobPage }) {
  const { page, pages } = props.page;
  const link = (n: number, label: string, rel: string) =>
    n >= 1 && n <= pages && n !== page ? (
      <a href={props.href(n)} rel={rel}>
        {label}
      </a>
    ) : (
      <span class="off">{label}</span>
    );
  return (
    <nav class="pager" aria-label="pages">
      {link(1, "« First", "first")}
      {link(page - 1, "‹ Prev", "prev")}
      <span data-page={String(page)}>{`page ${count(page)} of ${count(pages)}`}</span>
      {link(page + 1, "Next ›", "next")}
      {link(pages, "Last »", "last")}
    </nav>
  );
}

/** A queue: its figures, a tab per state with one page of jobs, search by id and the queue's actions. */
/** A queue's flow-control settings in words, as `tq stats` prints them. */
export function describeLimits(limits: QueueStats["limits"]): string {
  const parts: string[] = [];
  if (limits.rateLimit)
    parts.push(`at most ${limits.rateLimit.max} starts per ${limits.rateLimit.durationMs} ms`);
  if (limits.concurrency !== null) parts.push(`at most ${limits.concurrency} active at once`);
  if (limits.heldUntil !== null) {
    parts.push(`claims held by ctx.rateLimit until ${new Date(limits.heldUntil).toISOString()}`);
  }
  if (limits.groupConcurrency !== null) {
    parts.push(`at most ${limits.groupConcurrency} active at once per group`);
  }
  if (limits.groupRateLimit) {
    parts.push(
      `at most ${limits.groupRateLimit.max} starts per ${limits.groupRateLimit.durationMs} ms per group`,
    );
  }
  return parts.length > 0 ? parts.join("; ") : "none";
}

/** The first page of a queue's job groups (those with pending or active jobs), by name; nothing when it has none. */
function GroupsTable(props: { groups: GroupsPage }) {
  const { groups, cursor } = props.groups;
  if (groups.length === 0) return null;
  const rows = [...groups].sort((a, b) => a.name.localeCompare(b.name));
  return (
    <section class="groups">
      <h2>Groups</h2>
      <table class="groups">
        <thead>
          <tr>
            <th>Group</th>
            <th>Pending</th>
            <th>Active</th>
          </tr>
        </thead>
        <tbody>
          {rows.map((g) => (
            <tr data-group={g.name}>
              <td>{g.name}</td>
              <td>{count(g.pending)}</td>
              <td>{count(g.active)}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {cursor ? (
        <p class="total">{`The first ${count(groups.length)} groups; tq groups lists them all.`}</p>
      ) : null}
    </section>
  );
}

export function QueuePage(props: {
  ctx: PageContext;
  snapshot: QueueSnapshot;
  page: JobPage;
  /** The first page of the queue's groups. */
  groups: GroupsPage;
  notice?: string;
}) {
  const { ctx, snapshot, page } = props;
  const name = snapshot.queue;
  const q = `${ctx.base}/queues/${encodeURIComponent(name)}`;
  const status = page.status;
  return (
    <Layout ctx={ctx} title={`Queue ${name}`} live={`${ctx.base}/live?queue=${encodeURIComponent(name)}`}>
      <Notice text={props.notice} />
      <section class="queue-card" data-queue={name} data-at={String(snapshot.at)}>
        <QueueFigures snapshot={snapshot} base={ctx.base} />
        <p class="limits" data-field="limits">
          {`Flow control: ${describeLimits(snapshot.stats.limits)}`}
        </p>
        <div class="actions">
          {snapshot.stats.paused ? (
            <Action ctx={ctx} action={`${q}/resume`} label="Resume" />
          ) : (
            <Action ctx={ctx} action={`${q}/pause`} label="Pause" />
          )}
          <form method="get" action={`${q}/job`} class="search">
            <input type="search" name="id" placeholder="job id" aria-label="job id" required />
            <button type="submit">Find job</button>
          </form>
        </div>
        <QueueCharts snapshot={snapshot} />
      </section>
      <GroupsTable groups={props.groups} />
      <nav class="tabs">
        {JOB_STATES.map((state) => (
          <a href={`${q}?state=${state}`} class={state === status ? "tab current" : "tab"} data-tab={state}>
            {`${state} `}
            <span data-field={state}>{count(snapshot.stats.counts[state])}</span>
          </a>
        ))}
      </nav>
      <div class="actions">
        {status === "failed" && page.total > 0 ? (
          <Action ctx={ctx} action={`${q}/retry-all`} label="Retry all failed" />
        ) : null}
        {(status === "failed" || status === "completed") && page.total > 0 ? (
          <Action
            ctx={ctx}
            action={`${q}/purge`}
            label={`Purge ${status}`}
            fields={{ state: status }}
            danger
            confirm={`Delete every ${status} job of ${name}?`}
          />
        ) : null}
      </div>
      {page.jobs.length === 0 ? (
        <p class="empty">{`No ${status} jobs.`}</p>
      ) : (
        <table class="jobs">
          <thead>
            <tr>
              <th>Id</th>
              <th>Task</th>
              <th>Priority</th>
              <th>Runs</th>
              <th>{WHEN[status]}</th>
              <th>{status === "failed" ? "Error" : "Args"}</th>
              {ctx.readOnly ? null : <th />}
            </tr>
          </thead>
          <tbody>
            {page.jobs.map((job) => (
              <tr data-job={job.id}>
                <td>
                  <a href={jobHref(ctx.base, name, job.id)}>{job.id}</a>
                </td>
                <td>{job.task}</td>
                <td>{job.priority}</td>
                <td>{`${job.attempts}/${job.maxRetries + 1}`}</td>
                <td>{at(when(job))}</td>
                <td class="mono">{status === "failed" ? short(job.error?.message) : short(job.args)}</td>
                {ctx.readOnly ? null : (
                  <td>
                    {status === "failed" ? (
                      <Action ctx={ctx} action={`${q}/job/retry`} label="Retry" fields={{ id: job.id }} />
                    ) : null}
                    {status === "scheduled" || status === "pending" || status === "active" ? (
                      <Action
                        ctx={ctx}
                        action={`${q}/job/cancel`}
                        label="Cancel"
                        fields={{ id: job.id }}
                        danger
                      />
                    ) : null}
                  </td>
                )}
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <Pager page={page} href={(n) => `${q}?state=${status}&page=${n}`} />
      <p class="total">{`${count(page.total)} ${status} job(s), ${PAGE_SIZE} per page`}</p>
    </Layout>
  );
}
