/**
 * Web UI sessions: the login form trades the admin password for a token kept
 * in a cookie (HttpOnly, SameSite=Strict, Secure over HTTPS). Every
 * state-changing request must also carry a CSRF token derived from the
 * session, which a page of another site cannot know.
 *
 * @module
 */
import type { Context, MiddlewareHandler } from "hono";
import { deleteCookie, getCookie, setCookie } from "hono/cookie";
import type { Credentials } from "../auth.ts";

/** The session cookie's name. */
export const SESSION_COOKIE = "faaso_session";
/** How long a UI session lasts. */
export const SESSION_HOURS = 12;

/** What the UI's handlers find in the context. */
export interface SessionVariables {
  /** The CSRF token pages embed and state-changing requests send back. */
  csrf: string;
}

/** Starts a session: sets the cookie. */
export async function startSession(c: Context, credentials: Credentials): Promise<void> {
  const { token } = await credentials.issueToken(Date.now(), SESSION_HOURS * 3600 * 1000);
  setCookie(c, SESSION_COOKIE, token, {
    httpOnly: true,
    sameSite: "Strict",
    secure: isHttps(c),
    path: "/admin",
    maxAge: SESSION_HOURS * 3600,
  });
}

/** Ends a session: clears the cookie. */
export function endSession(c: Context): void {
  deleteCookie(c, SESSION_COOKIE, { path: "/admin", secure: isHttps(c) });
}

/**
 * Lets a request through only with a valid session, and a state-changing one
 * only with the session's CSRF token (header `x-csrf-token` or form field
 * `_csrf`). Pages without a session go to the login form.
 */
export function requireSession(credentials: Credentials): MiddlewareHandler<{ Variables: SessionVariables }> {
  return async function requireUiSession(c, next) {
    const token = getCookie(c, SESSION_COOKIE);
    if (!token || !await credentials.checkToken(token)) {
      if (c.req.header("hx-request")) {
        c.header("hx-redirect", "/admin/login");
        return c.body(null, 401);
      }
      if (c.req.method === "GET") return c.redirect("/admin/login", 303);
      return c.text("Log in first", 401);
    }
    const csrf = await csrfToken(token);
    if (!["GET", "HEAD"].includes(c.req.method)) {
      const sent = c.req.header("x-csrf-token") ?? await formField(c, "_csrf");
      if (sent !== csrf) return c.text("This form is stale or came from another site: reload the page", 403);
    }
    c.set("csrf", csrf);
    await next();
  };
}

/** The CSRF token of a session: a hash of the session token, known only to its holder. */
export async function csrfToken(session: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(`csrf:${session}`));
  return Array.from(new Uint8Array(digest).slice(0, 16), (b) => b.toString(16).padStart(2, "0")).join("");
}

/** Whether the client reached us over HTTPS (directly or through a TLS proxy). */
export function isHttps(c: Context): boolean {
  return new URL(c.req.url).protocol === "https:" || c.req.header("x-forwarded-proto") === "https";
}

async function formField(c: Context, name: string): Promise<string | undefined> {
  const type = c.req.header("content-type") ?? "";
  if (!type.includes("form")) return undefined;
  const body = await c.req.parseBody();
  const value = body[name];
  return typeof value === "string" ? value : undefined;
}
