/**
 * The admin side of `faaso serve`: the JSON API at `/admin/api/` and the web
 * UI at `/admin/`. Built by a factory from its dependencies, so tests can
 * call `app.request()`. The proxy (`/funko/`) and `/ping` are answered in
 * front of it, in server/mod.ts, without a router on their hot path.
 *
 * @module
 */
import { Hono } from "hono";
import type { Docker } from "../docker/mod.ts";
import type { InstanceBackend } from "../core/instances.ts";
import type { LifecycleDeps } from "../core/scale.ts";
import type { SecretStore } from "../core/secrets.ts";
import { VERSION } from "../core/version.ts";
import { adminApi } from "./admin_api.ts";
import { adminUi } from "./ui/mod.tsx";
import type { Credentials, LoginThrottle } from "./auth.ts";
import type { DataFolder } from "../core/data_folder.ts";
import { describeError, jsonError } from "./errors.ts";
import type { RoutingTable } from "./routing_table.ts";

/** What the server needs. */
export interface ServerDeps {
  /** The engine. */
  docker: Docker;
  /** Where instances come from. */
  instances: InstanceBackend;
  /** The lifecycle core's dependencies, with the routing table's drain hook. */
  lifecycle: LifecycleDeps;
  /** Routes to instances. */
  table: RoutingTable;
  /** The admin password and tokens. */
  credentials: Credentials;
  /** Failed login accounting. */
  throttle: LoginThrottle;
  /** The data folder. */
  data: DataFolder;
  /** Funko secrets. */
  secrets: SecretStore;
  /** Aborts when the server stops: ends streams that would otherwise never end (followed logs). */
  stopping: AbortSignal;
  /** How many builds of each funko to keep (DATA/config.yml keep_builds, FAASO_KEEP_BUILDS). */
  keepBuilds: number;
}

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
