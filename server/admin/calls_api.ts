/**
 * The admin API for async calls and schedules, mounted beside the rest of
 * `/admin/api/` (behind the same token):
 *
 * - `GET calls` (`?funko=NAME&state=failed,queued&limit=N`): calls, newest first;
 * - `GET calls/counts`: by funko, calls queued, running, failed and done now,
 *   and totals accepted, delivered and failed (for metrics);
 * - `GET calls/ID`, `POST calls/ID/retry` (a failed one), `DELETE calls/ID`;
 * - `GET funkos/NAME/schedules`: each entry with its next and last run.
 *
 * @module
 */
import { Hono } from "hono";
import type { CallState } from "../../core/call_store.ts";
import { listCalls, removeCall, retryCall, withInvocations } from "../../core/calls.ts";
import { notFound } from "../../core/errors.ts";
import { checkFunkoName } from "../../core/names.ts";
import { status } from "../../core/status.ts";
import type { ServerDeps } from "./deps.ts";

/** The calls and schedules routes. */
export function callsApi(deps: ServerDeps): Hono {
  const api = new Hono();
  const { store } = deps.invocations;

  api.get("/calls", async (c) => {
    const funko = c.req.query("funko");
    const states = c.req.query("state")?.split(",").filter(Boolean) as CallState[] | undefined;
    const limit = Number(c.req.query("limit") ?? 200);
    return c.json(
      await listCalls(store, {
        ...(funko ? { funko: checkFunkoName(funko) } : {}),
        ...(states ? { states } : {}),
        limit: Number.isInteger(limit) && limit > 0 ? Math.min(limit, 10_000) : 200,
      }),
    );
  });

  api.get("/calls/counts", async (c) => c.json(await store.counts()));

  api.get("/calls/:id", async (c) => {
    const call = await store.get(c.req.param("id"));
    if (!call) throw notFound(`No call ${c.req.param("id")}`);
    return c.json(call);
  });

  api.post("/calls/:id/retry", async (c) => {
    const call = await retryCall(store, c.req.param("id"));
    deps.invocations.wake();
    return c.json(call);
  });

  api.delete("/calls/:id", async (c) => c.json(await removeCall(store, c.req.param("id"))));

  api.get("/funkos/:name/schedules", async (c) => {
    const [funko] = await withInvocations(await status(deps.lifecycle, checkFunkoName(c.req.param("name"))), store);
    return c.json(funko!.schedules);
  });

  return api;
}
