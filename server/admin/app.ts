/**
 * The admin side of `faaso serve`: the JSON API at `/admin/api/` and the web
 * UI at `/admin/`. Built by a factory from its dependencies, so tests can
 * call `app.request()`. The proxy (`/funko/`) and `/ping` are answered in
 * front of it, in server/mod.ts, without a router on their hot path.
 *
 * @module
 */
import { Hono } from "hono";
import { VERSION } from "../../core/version.ts";
import { adminApi } from "./api.ts";
import type { ServerDeps } from "./deps.ts";
import { describeError, jsonError } from "./errors.ts";
import { FAVICON } from "./favicon.ts";
import { adminUi } from "./ui/mod.tsx";

/** The header every admin answer carries, so clients can compare versions. */
export const VERSION_HEADER = "x-faaso-version";

/** Creates the server's Hono app. */
export function createApp(deps: ServerDeps): Hono {
  // Not strict: /admin and /admin/ are the same page.
  const app = new Hono({ strict: false });

  app.use("/admin/*", async function versionHeader(c, next) {
    await next();
    c.res.headers.set(VERSION_HEADER, VERSION);
  });
  // A person who opens the server's address lands on the web UI.
  app.get("/", (c) => c.redirect("/admin/"));
  app.get(
    "/favicon.ico",
    () =>
      new Response(FAVICON, { headers: { "content-type": "image/x-icon", "cache-control": "public, max-age=86400" } }),
  );
  app.route("/admin/api", adminApi(deps));
  app.route("/admin", adminUi(deps));

  app.notFound((c) => jsonError(404, "not_found", `Nothing at ${c.req.path}: funkos are at /funko/NAME/`));
  app.onError((error) => {
    const { status, code, message } = describeError(error);
    return jsonError(status, code, message, { [VERSION_HEADER]: VERSION });
  });
  return app;
}
