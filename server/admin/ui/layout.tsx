/**
 * The page frame of the web UI: Pico CSS, htmx, the header with the server
 * and engine versions, the flash area where errors appear.
 *
 * @module
 */
import { raw } from "hono/html";
import type { Child } from "hono/jsx";
import { VERSION } from "../../../core/version.ts";

/** What the footer says about the server. */
export interface ServerInfo {
  /** The Docker engine's version, e.g. "20.10.24". */
  engine: string;
  /** The Engine API version. */
  api: string;
  /** The data folder. */
  data: string;
}

/** htmx: swap error answers too (into the flash area, which the server names), so errors show on the page. */
const HTMX_CONFIG = JSON.stringify({
  responseHandling: [
    { code: "204", swap: false },
    { code: "[23]..", swap: true },
    { code: "[45]..", swap: true, error: true },
  ],
});

/** Options for {@linkcode Layout}. */
export interface LayoutProps {
  title: string;
  /** The session's CSRF token; absent on the login page. */
  csrf?: string;
  info?: ServerInfo;
  children?: Child;
}

/** A whole page. */
export function Layout(props: LayoutProps) {
  return (
    <>
      {raw("<!DOCTYPE html>")}
      <html lang="en">
        <head>
          <meta charset="utf-8" />
          <meta name="viewport" content="width=device-width, initial-scale=1" />
          <meta name="htmx-config" content={HTMX_CONFIG} />
          <title>{props.title} · FaaSO</title>
          <link rel="stylesheet" href="/admin/assets/pico.min.css" />
          <link rel="stylesheet" href="/admin/assets/app.css" />
          <script src="/admin/assets/htmx.min.js" defer></script>
          <script src="/admin/assets/app.js" defer></script>
        </head>
        <body hx-headers={props.csrf ? JSON.stringify({ "x-csrf-token": props.csrf }) : undefined}>
          <header class="container">
            <nav>
              <ul>
                <li>
                  <a href="/admin/">
                    <strong>FaaSO</strong>
                  </a>
                </li>
              </ul>
              {props.csrf && (
                <ul>
                  <li>
                    <form method="post" action="/admin/logout">
                      <input type="hidden" name="_csrf" value={props.csrf} />
                      <button type="submit" class="secondary outline">Log out</button>
                    </form>
                  </li>
                </ul>
              )}
            </nav>
          </header>
          <main class="container">
            <div id="flash" role="alert" aria-live="assertive"></div>
            {props.children}
          </main>
          <footer class="container">
            <small class="muted">
              FaaSO {VERSION}
              {props.info &&
                ` · Docker engine ${props.info.engine} (API ${props.info.api}) · data folder ${props.info.data}`}
            </small>
          </footer>
        </body>
      </html>
    </>
  );
}

/** A message for the flash area. */
export function Flash(props: { kind: "error" | "ok"; message: string; details?: string[] }) {
  return (
    <article class={props.kind === "error" ? "flash-error" : "flash-ok"}>
      <p>
        <span class={`badge ${props.kind === "error" ? "bad" : "ok"}`}>
          {props.kind === "error" ? "Error" : "Done"}
        </span>{" "}
        {props.message}
      </p>
      {props.details && props.details.length > 0 && <pre class="log">{props.details.join("\n")}</pre>}
    </article>
  );
}
