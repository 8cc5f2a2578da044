/**
 * The HTTP application of `faaso serve`: the reverse proxy at `/funko/`, the
 * admin API at `/admin/api/`, and the server's own `/ping`. Built by a
 * factory from its dependencies, so tests can call `app.request()`.
 *
 * @module
 */
import { Hono } from "hono";
import type { Docker } from "../docker/mod.ts";
import type { InstanceBackend } from "../core/instances.ts";
import type { SecretStore } from "../core/secrets.ts";
import { VERSION } from "../core/version.ts";
import { adminApi } from "./admin_api.ts";
import { adminUi } from "./ui/mod.tsx";
import type { Credentials, LoginThrottle } from "./auth.ts";
import type { DataFolder } from "../core/data_folder.ts";
import { describeError, jsonError } from "./errors.ts";
import type { ClientInfo, ProxyHandler } from "./proxy.ts";
import type { RoutingTable } from "./routing_table.ts";
import type { ContextLimits } from "./upload.ts";

/** What the server needs. */
export interface ServerDeps {
  /** The engine. */
  docker: Docker;
  /** Where instances come from. */
  instances: InstanceBackend;
  /** Routes to instances. */
  table: RoutingTable;
  /** The `/funko/` handler. */
  proxy: ProxyHandler;
  /** The admin password and tokens. */
  credentials: Credentials;
  /** Failed login accounting. */
  throttle: LoginThrottle;
  /** The data folder. */
  data: DataFolder;
  /** Funko secrets. */
  secrets: SecretStore;
  /** Limits on uploaded build contexts. */
  limits?: ContextLimits;
}

/** The header every admin answer carries, so clients can compare versions. */
export const VERSION_HEADER = "x-faaso-version";

/** Creates the server's Hono app. */
export function createApp(deps: ServerDeps): Hono {
  // Not strict: /admin and /admin/ are the same page.
  const app = new Hono({ strict: false });

  app.get("/ping", (c) => c.text("OK"));

  app.all("/funko/*", (c) => deps.proxy(c.req.raw, c.env as ClientInfo | undefined));

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
