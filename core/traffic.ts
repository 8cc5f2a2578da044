/**
 * A funko's traffic as the proxy counted it: the shapes of the server's
 * `GET /admin/api/stats` answers, and how the CLI and the web UI write the
 * figures. The server keeps the counts (server/metrics/); this module only
 * describes and formats them, so that the CLI need not load the server.
 *
 * @module
 */

/** Requests by status class: 1xx (WebSockets), 2xx, 3xx, 4xx, 5xx. */
export type StatusClasses = [number, number, number, number, number];

/** The names of {@linkcode StatusClasses}' entries, in order. */
export const STATUS_CLASS_NAMES = ["1xx", "2xx", "3xx", "4xx", "5xx"] as const;

/** One funko's traffic over a recent window (the last minute, by default). */
export interface TrafficSummary {
  /** Requests answered in the window. */
  requests: number;
  /** Requests per second over the window. */
  rps: number;
  /** Answers with a 5xx status (the funko's and the proxy's own 502, 503, 504). */
  errors: number;
  /** `errors / requests`, 0 when there was no request. */
  errorRate: number;
  /** Median duration in milliseconds; null without requests. */
  p50Ms: number | null;
  /** 99th percentile duration in milliseconds; null without requests. */
  p99Ms: number | null;
  /** Requests being answered, or waiting for an instance, now. */
  inFlight: number;
  /** The proxy's instances of the funko now: ready to get traffic, and all it knows. */
  instances: { ready: number; total: number };
  /** Requests per 10 s over the last 15 minutes, oldest first: a sparkline. */
  spark: number[];
}

/** `GET /admin/api/stats`: every funko the proxy has counted or routes to. */
export interface TrafficReport {
  /** When the figures were taken (ISO 8601). */
  at: string;
  /** The window the summaries cover, in seconds (what was asked; less just after the server started). */
  windowSeconds: number;
  /** Summaries by funko name. */
  funkos: Record<string, TrafficSummary>;
}

/** One 10-second step of a funko's history. */
export interface TrafficPoint {
  /** The step's start, in ms since the epoch. */
  t: number;
  /** Requests per second in the step, by status class. */
  rps: StatusClasses;
  /** Median duration in ms; null when the step had no request. */
  p50Ms: number | null;
  /** 99th percentile duration in ms; null when the step had no request. */
  p99Ms: number | null;
  /** Ready instances at the step's end (the last step: now); null before the server counted. */
  instances: number | null;
}

/** `GET /admin/api/stats/NAME`: a funko's history, for charts. */
export interface TrafficHistoryReport {
  /** The funko. */
  funko: string;
  /** Seconds per point. */
  stepSeconds: number;
  /** Points, oldest first, the last one still filling. */
  points: TrafficPoint[];
}

/** "12.3/s", "0.05/s", "1,234/s". */
export function formatRate(rps: number): string {
  if (rps === 0) return "0/s";
  if (rps < 0.1) return `${rps.toFixed(2)}/s`;
  if (rps < 100) return `${rps.toFixed(1)}/s`;
  return `${Math.round(rps).toLocaleString("en-US")}/s`;
}

/** "0%", "<0.1%", "0.4%", "12%". */
export function formatPercent(rate: number): string {
  const percent = rate * 100;
  if (percent === 0) return "0%";
  if (percent < 0.1) return "<0.1%";
  if (percent < 10) return `${percent.toFixed(1)}%`;
  return `${Math.round(percent)}%`;
}

/** "0.42 ms", "12 ms", "1.3 s"; "-" for null. */
export function formatMs(ms: number | null): string {
  if (ms === null) return "-";
  if (ms < 10) return `${ms.toFixed(2)} ms`;
  if (ms < 1000) return `${Math.round(ms)} ms`;
  return `${(ms / 1000).toFixed(1)} s`;
}
