/**
 * The guard in front of everything under /admin/ but the login: a valid token
 * (`Authorization: Bearer TOKEN`) or a 401 with a JSON error.
 *
 * @module
 */
import type { MiddlewareHandler } from "hono";
import type { MetricsToken } from "../metrics/token.ts";
import type { Credentials } from "./auth.ts";
import { jsonError } from "./errors.ts";

/** Lets a request through only with a valid token. */
export function requireToken(credentials: Credentials): MiddlewareHandler {
  return async function requireAdminToken(c, next) {
    const header = c.req.header("authorization") ?? "";
    const token = header.startsWith("Bearer ") ? header.slice(7).trim() : "";
    if (!token || !await credentials.checkToken(token)) {
      return jsonError(
        401,
        "unauthorized",
        "Not logged in: the token is missing, wrong or expired (faaso login, or POST /admin/api/login)",
        {
          "www-authenticate": 'Bearer realm="faaso"',
        },
      );
    }
    await next();
  };
}

/** Lets a request through with the read-only metrics token or an admin token (the traffic figures). */
export function requireReader(credentials: Credentials, metricsToken: MetricsToken): MiddlewareHandler {
  const admin = requireToken(credentials);
  return async function requireMetricsToken(c, next) {
    if (metricsToken.accepts(c.req.header("authorization"))) return await next();
    return await admin(c, next);
  };
}
