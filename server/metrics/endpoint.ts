/**
 * `GET /metrics`: the Prometheus exposition, on the proxy's own port, for
 * the metrics token (or an admin token). Answered in front of the admin app,
 * without loading it.
 *
 * @module
 */
import { jsonAnswer, type ServerRequest, type ServerResponse } from "../../http1/mod.ts";
import { PROMETHEUS_CONTENT_TYPE } from "./exposition.ts";
import type { Metrics } from "./metrics.ts";
import type { MetricsToken } from "./token.ts";

/** Whether a request target is `/metrics` (with a query or not). */
export function isMetricsTarget(target: string): boolean {
  return target === "/metrics" || target.startsWith("/metrics?");
}

/** Makes the `/metrics` handler; `metrics` undefined means they are off. */
export function metricsEndpoint(
  metrics: Metrics | undefined,
  token: MetricsToken,
  admin: { checkToken(token: string): Promise<boolean> },
): (request: ServerRequest) => Promise<ServerResponse> {
  return async function scrape(request) {
    if (!metrics) return jsonAnswer(404, "metrics_off", "Metrics are off: faaso serve runs with --no-metrics");
    if (request.method !== "GET" && request.method !== "HEAD") {
      return jsonAnswer(405, "method_not_allowed", "Use GET /metrics", [["allow", "GET, HEAD"]]);
    }
    const authorization = request.header("authorization");
    const allowed = token.accepts(authorization) ||
      (authorization?.startsWith("Bearer ") === true && await admin.checkToken(authorization.slice(7).trim()));
    if (!allowed) {
      return jsonAnswer(401, "unauthorized", "Send Authorization: Bearer with the metrics token (or an admin token)", [
        ["www-authenticate", 'Bearer realm="faaso-metrics"'],
      ]);
    }
    return {
      status: 200,
      headers: [["content-type", PROMETHEUS_CONTENT_TYPE], ["cache-control", "no-store"]],
      body: new TextEncoder().encode(await metrics.render()),
    };
  };
}
