/**
 * The guard in front of everything under /admin/ but the login: a valid token
 * (`Authorization: Bearer TOKEN`) or a 401 with a JSON error.
 *
 * @module
 */
import type { MiddlewareHandler } from "hono";
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
