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
  app.route("/admin/api", adminApi(deps));
  app.route("/admin", adminUi(deps));

  app.notFound((c) => jsonError(404, "not_found", `Nothing at ${c.req.path}: funkos are at /funko/NAME/`));
  app.onError((error) => {
    const { status, code, message } = describeError(error);
    return jsonError(status, code, message, { [VERSION_HEADER]: VERSION });
  });
  return app;
}
