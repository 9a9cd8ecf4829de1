import { raw } from "hono/html";
import type { Child } from "hono/jsx";

/** What every page needs to know about the request: where the dashboard is mounted and what the user may do. */
export interface PageContext {
  /** The mount path, "" at the root. */
  base: string;
  readOnly: boolean;
  /** The CSRF token the page's forms post. */
  csrf: string;
  /** Whether a logout button makes sense (token logins only). */
  canLogOut: boolean;
}

/** The page's frame: head with the served assets (no CDN, no inline script), navigation, content. */
export function Layout(props: { ctx: PageContext; title: string; live?: string; children?: Child }) {
  const { ctx } = props;
  return (
    <>
      {raw("<!DOCTYPE html>")}
      <html lang="en">
        <head>
          <meta charset="utf-8" />
          <meta name="viewport" content="width=device-width, initial-scale=1" />
          <title>{`${props.title} · tq dashboard`}</title>
          <link rel="stylesheet" href={`${ctx.base}/assets/uplot.css`} />
          <link rel="stylesheet" href={`${ctx.base}/assets/dashboard.css`} />
          <script src={`${ctx.base}/assets/uplot.js`} defer />
          <script src={`${ctx.base}/assets/dashboard.js`} defer />
        </head>
        <body>
          <header class="top">
            <a class="brand" href={`${ctx.base}/`}>
              tq
            </a>
            <nav>
              <a href={`${ctx.base}/`}>Queues</a>
              <a href={`${ctx.base}/workers`}>Workers</a>
              <a href={`${ctx.base}/schedules`}>Schedules</a>
            </nav>
            {ctx.readOnly ? <span class="badge">read-only</span> : null}
            {ctx.canLogOut ? (
              <form method="post" action={`${ctx.base}/logout`} class="logout">
                <input type="hidden" name="_csrf" value={ctx.csrf} />
                <button type="submit">Log out</button>
              </form>
            ) : null}
          </header>
          <main data-live={props.live}>
            <h1>{props.title}</h1>
            {props.children}
          </main>
        </body>
      </html>
    </>
  );
}

/** A POST form with the CSRF token and one button; nothing at all in read-only mode. */
export function Action(props: {
  ctx: PageContext;
  action: string;
  label: string;
  fields?: Record<string, string>;
  danger?: boolean;
  confirm?: string;
}) {
  if (props.ctx.readOnly) return null;
  return (
    <form method="post" action={props.action} class="action" data-confirm={props.confirm}>
      <input type="hidden" name="_csrf" value={props.ctx.csrf} />
      {Object.entries(props.fields ?? {}).map(([name, value]) => (
        <input type="hidden" name={name} value={value} />
      ))}
      <button type="submit" class={props.danger ? "danger" : undefined} data-action={props.label}>
        {props.label}
      </button>
    </form>
  );
}

/** A notice after an action, from a fixed list (nothing from the query string is echoed). */
export function Notice(props: { text: string | undefined }) {
  return props.text ? (
    <p class="notice" role="status">
      {props.text}
    </p>
  ) : null;
}
