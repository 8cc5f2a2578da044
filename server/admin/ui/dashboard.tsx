/**
 * The dashboard: every funko in one dense table that stays readable with
 * dozens of them (name, runtime, instances and health, requests/s, errors,
 * latency, image age, a sparkline), refreshed every 5 s; and a funko's
 * traffic section with its charts of the last hour.
 *
 * @module
 */
import type { FunkoStatus, InstanceStatus } from "../../../core/status.ts";
import { ago } from "../../../core/time.ts";
import {
  formatMs,
  formatPercent,
  formatRate,
  type TrafficHistoryReport,
  type TrafficReport,
  type TrafficSummary,
} from "../../../core/traffic.ts";
import { counted } from "../../../core/words.ts";
import { Sparkline, TrafficCharts } from "./charts.tsx";

/** The window of the dashboard's figures, in seconds. */
export const DASHBOARD_WINDOW = 300;

/** An instance as a coloured dot, its name and health in its tooltip. */
function InstanceDot(props: { instance: InstanceStatus }) {
  const { state, health, name } = props.instance;
  const kind = state !== "running"
    ? "bad"
    : health === "healthy" || health === "none"
    ? "ok"
    : health === "starting"
    ? "warn"
    : "bad";
  const word = state !== "running" ? state : health === "none" ? "running" : health;
  return <span class={`dot ${kind}`} title={`${name}: ${word}`} aria-label={`${name}: ${word}`}></span>;
}

/** The funko table; polls itself every 5 s. `traffic` is absent when metrics are off. */
export function DashboardTable(props: { funkos: FunkoStatus[]; traffic?: TrafficReport }) {
  const minutes = DASHBOARD_WINDOW / 60;
  return (
    <div id="dashboard" hx-get="/admin/dashboard" hx-trigger="every 5s" hx-swap="outerHTML">
      <div class="overflow-auto">
        <table class="dense">
          <thead>
            <tr>
              <th scope="col">Funko</th>
              <th scope="col">Runtime</th>
              <th scope="col">Instances</th>
              <th scope="col" class="num" title={`Over the last ${minutes} minutes`}>Req/s</th>
              <th scope="col" class="num" title="Share of 5xx answers">Errors</th>
              <th scope="col" class="num">p50</th>
              <th scope="col" class="num">p99</th>
              <th scope="col" title="Async calls queued and failed">Queue</th>
              <th scope="col">Image</th>
              <th scope="col">Last 15 min</th>
            </tr>
          </thead>
          <tbody>
            {props.funkos.map((funko) => (
              <FunkoRow key={funko.name} funko={funko} summary={props.traffic?.funkos[funko.name]} />
            ))}
          </tbody>
        </table>
      </div>
      <p class="muted">
        <small>
          {props.traffic
            ? `Requests/s, errors (5xx) and latency over the last ${minutes} minutes, as the proxy counted them.`
            : "Metrics are off (faaso serve --no-metrics): no traffic figures."}
        </small>
      </p>
    </div>
  );
}

function FunkoRow(props: { funko: FunkoStatus; summary: TrafficSummary | undefined }) {
  const { funko, summary } = props;
  const healthy = funko.instances.filter((i) => i.state === "running" && ["healthy", "none"].includes(i.health));
  const stamp = funko.latest?.tags.find((tag) => tag !== "latest");
  const requests = summary?.requests ?? 0;
  return (
    <tr id={`row-${funko.name}`} data-funko={funko.name} data-requests={String(requests)}>
      <th scope="row">
        <a href={`/admin/funkos/${funko.name}`}>{funko.name}</a>{" "}
        <a
          href={`/funko/${funko.name}/`}
          class="public"
          title={`Public URL: /funko/${funko.name}/`}
          aria-label={`${funko.name}'s public URL`}
        >
          ↗
        </a>
      </th>
      <td>{funko.image ? `image ${funko.image}` : funko.runtime || "own Dockerfile"}</td>
      <td class="instances">
        <span class="count">{healthy.length}/{funko.instances.length}</span>{" "}
        {funko.instances.map((instance) => <InstanceDot key={instance.id} instance={instance} />)}
      </td>
      <td class="num" data-cell="rps" title={summary ? `${counted(requests, "request")}` : undefined}>
        {summary ? formatRate(summary.rps) : "-"}
      </td>
      <td class={`num${summary && summary.errors > 0 ? " bad" : ""}`} data-cell="errors">
        {summary && requests ? formatPercent(summary.errorRate) : "-"}
      </td>
      <td class="num" data-cell="p50">{formatMs(summary?.p50Ms ?? null)}</td>
      <td class="num" data-cell="p99">{formatMs(summary?.p99Ms ?? null)}</td>
      <td data-cell="queue">
        <Queue funko={funko} />
      </td>
      <td title={stamp ? `faaso-${funko.name}:${stamp}` : undefined}>
        {funko.latest ? ago(funko.latest.created) : <span class="muted">no image</span>}
      </td>
      <td>
        {summary
          ? (
            <Sparkline
              values={summary.spark}
              label={`${counted(summary.spark.reduce((a, b) => a + b, 0), "request")} in the last 15 minutes`}
            />
          )
          : "-"}
      </td>
    </tr>
  );
}

/** Async calls waiting and failed, when there are any. */
function Queue(props: { funko: FunkoStatus }) {
  const calls = props.funko.calls;
  if (!calls || calls.queued + calls.running + calls.failed === 0) return <span class="muted">-</span>;
  return (
    <>
      {calls.queued + calls.running} queued
      {calls.failed > 0 && <span class="bad">{` · ${calls.failed} failed`}</span>}
    </>
  );
}

/** A funko's traffic: the figures of the last 5 minutes and the charts of the last hour; polls itself every 10 s. */
export function TrafficSection(
  props: { funko: string; summary?: TrafficSummary; history?: TrafficHistoryReport; now: number },
) {
  const { funko, summary, history } = props;
  return (
    <section
      id="traffic"
      aria-labelledby="traffic-title"
      hx-get={`/admin/funkos/${funko}/traffic`}
      hx-trigger="every 10s"
      hx-swap="outerHTML"
    >
      <h2 id="traffic-title">Traffic</h2>
      {!history ? <p class="muted">Metrics are off (faaso serve --no-metrics): no traffic figures.</p> : (
        <>
          <p class="figures" data-requests={String(summary?.requests ?? 0)}>
            Last {DASHBOARD_WINDOW / 60} minutes: <strong data-figure="rps">{formatRate(summary?.rps ?? 0)}</strong>,
            {" "}
            <strong data-figure="errors">{formatPercent(summary?.errorRate ?? 0)}</strong> errors, p50{" "}
            <strong data-figure="p50">{formatMs(summary?.p50Ms ?? null)}</strong>, p99{" "}
            <strong data-figure="p99">{formatMs(summary?.p99Ms ?? null)}</strong>,{" "}
            <span data-figure="requests">{counted(summary?.requests ?? 0, "request")}</span>
          </p>
          <TrafficCharts points={history.points} now={props.now} spanMs={3600_000} />
        </>
      )}
    </section>
  );
}
