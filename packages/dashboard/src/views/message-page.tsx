import { raw } from "hono/html";
import { Layout, type PageContext } from "./layout.js";

/** A 4xx/5xx page: what went wrong, in words, and a way back. */
export function MessagePage(props: { ctx: PageContext; status: number; title: string; message: string }) {
  return (
    <Layout ctx={props.ctx} title={props.title}>
      <p class="error" data-status={String(props.status)}>
        {props.message}
      </p>
      <p>
        <a href={`${props.ctx.base}/`}>Back to the queues</a>
      </p>
    </Layout>
  );
}

/** The token login form. */
export function LoginPage(props: { base: string; failed: boolean }) {
  return (
    <>
      {raw("<!DOCTYPE html>")}
      <html lang="en">
        <head>
          <meta charset="utf-8" />
          <title>Log in · tq dashboard</title>
          <link rel="stylesheet" href={`${props.base}/assets/dashboard.css`} />
        </head>
        <body>
          <main class="login">
            <h1>tq dashboard</h1>
            {props.failed ? <p class="error">That token is not the dashboard's token.</p> : null}
            <form method="post" action={`${props.base}/login`}>
              <label>
                Token{" "}
                <input type="password" name="token" autocomplete="current-password" required autofocus />
              </label>
              <button type="submit">Log in</button>
            </form>
          </main>
        </body>
      </html>
    </>
  );
}
