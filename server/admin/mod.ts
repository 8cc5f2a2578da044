/**
 * The admin side of `faaso serve`: the JSON API at `/admin/api/` and the web
 * UI at `/admin/`, one Hono app built by {@linkcode createApp}. server/mod.ts
 * loads this module on the first admin request, so that a proxy that only
 * proxies stays small; what it needs at start (the credentials in `auth.ts`,
 * the {@linkcode ServerDeps} type in `deps.ts`) it imports from those modules.
 *
 * @module
 */
export { createApp, VERSION_HEADER } from "./app.ts";
export { Credentials, hashPassword, LoginThrottle } from "./auth.ts";
export type { ServerDeps } from "./deps.ts";
