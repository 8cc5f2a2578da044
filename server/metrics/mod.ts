/**
 * What `faaso serve` tells about its traffic: Prometheus metrics
 * (`GET /metrics`), the JSON summaries behind the web UI and `faaso status`
 * and `faaso top` (`GET /admin/api/stats`), and the access log. The proxy
 * feeds them through its observer ({@linkcode TrafficRecorder}); everything
 * else is read when asked.
 *
 * @module
 */
export { AccessLog, type AccessLogFormat, type AccessLogOptions, formatAccessLine } from "./access_log.ts";
export { callMetrics } from "./calls_source.ts";
export { isMetricsTarget, metricsEndpoint } from "./endpoint.ts";
export { PROMETHEUS_CONTENT_TYPE, PrometheusText } from "./exposition.ts";
export { INSTANCE_STATES, Metrics, type MetricsOptions, type MetricSource } from "./metrics.ts";
export { TrafficRecorder } from "./recorder.ts";
export { Traffic, type TrafficSink } from "./traffic.ts";
export { MetricsToken } from "./token.ts";
