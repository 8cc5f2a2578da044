/**
 * Charts drawn on the server as SVG: a funko's last hour (requests/s by
 * status class, latency, instances) and the dashboard's sparklines. No
 * charting script to load, nothing from a CDN, readable without JavaScript;
 * htmx swaps them for fresh ones every few seconds.
 *
 * @module
 */
import type { TrafficPoint } from "../../../core/traffic.ts";

/** One line of a chart. */
export interface ChartSeries {
  /** Its name in the legend. */
  name: string;
  /** A CSS colour. */
  color: string;
  /** One value per point; null leaves a gap. */
  values: (number | null)[];
  /** Drawn as steps (a count that changes at instants) rather than a line. */
  steps?: boolean;
}

/** Options for {@linkcode LineChart}. */
export interface LineChartProps {
  /** The chart's title, also its accessible name. */
  title: string;
  /** What the values are, after the largest one on the axis ("req/s", "ms"). */
  unit: string;
  /** The points' times (ms since the epoch), one per value. */
  times: number[];
  /** The time span shown, ending at `now`. */
  spanMs: number;
  /** The right edge. */
  now: number;
  series: ChartSeries[];
  /** An id for the figure (tests find charts by it). */
  id: string;
}

// Small enough that its text stays readable when two charts share a row.
const WIDTH = 460;
const HEIGHT = 150;
const LEFT = 52;
const BOTTOM = 20;
const TOP = 8;

/** A line chart over time, with its legend. */
export function LineChart(props: LineChartProps) {
  const { times, spanMs, now } = props;
  const start = now - spanMs;
  const plotWidth = WIDTH - LEFT - 8;
  const plotHeight = HEIGHT - TOP - BOTTOM;
  const max = niceMax(Math.max(0, ...props.series.flatMap((s) => s.values.filter((v): v is number => v !== null))));
  const x = (t: number) => LEFT + Math.max(0, Math.min(1, (t - start) / spanMs)) * plotWidth;
  const y = (v: number) => TOP + plotHeight - (v / max) * plotHeight;
  const ticks = [0, 0.25, 0.5, 0.75, 1];
  return (
    <figure class="chart" id={props.id}>
      <figcaption>{props.title}</figcaption>
      <svg viewBox={`0 0 ${WIDTH} ${HEIGHT}`} role="img" aria-label={props.title} preserveAspectRatio="xMidYMid meet">
        {[0, 0.5, 1].map((share) => (
          <g class="grid">
            <line x1={LEFT} x2={WIDTH - 8} y1={y(max * share)} y2={y(max * share)} />
            <text x={LEFT - 6} y={y(max * share) + 4} text-anchor="end">
              {share === 0 ? "0" : `${formatTick(max * share)}${share === 1 ? ` ${props.unit}` : ""}`}
            </text>
          </g>
        ))}
        {ticks.map((share) => (
          <text
            class="time"
            x={LEFT + share * plotWidth}
            y={HEIGHT - 4}
            text-anchor={share === 1 ? "end" : share === 0 ? "start" : "middle"}
          >
            {share === 1 ? "now" : `-${Math.round((1 - share) * spanMs / 60_000)} min`}
          </text>
        ))}
        {props.series.map((series) => {
          const { d, count } = path(series, times, x, y);
          return (
            <path
              class="series"
              d={d}
              stroke={series.color}
              fill="none"
              data-series={series.name}
              data-points={String(count)}
            >
              <title>{series.name}</title>
            </path>
          );
        })}
      </svg>
      <p class="legend">
        {props.series.map((series) => (
          <span>
            <span class="swatch" style={`background:${series.color}`}></span> {series.name}
            {latest(series.values) !== null && <small class="muted">{` ${formatTick(latest(series.values)!)}`}</small>}
          </span>
        ))}
      </p>
    </figure>
  );
}

/** The SVG path of a series (gaps where values are null) and how many points it has. */
function path(
  series: ChartSeries,
  times: number[],
  x: (t: number) => number,
  y: (v: number) => number,
): { d: string; count: number } {
  let d = "";
  let count = 0;
  let open = false;
  series.values.forEach((value, i) => {
    if (value === null) {
      open = false;
      return;
    }
    const px = x(times[i]!).toFixed(1);
    const py = y(value).toFixed(1);
    if (!open) d += `M${px} ${py}`;
    else if (series.steps) d += `H${px}V${py}`;
    else d += `L${px} ${py}`;
    open = true;
    count++;
  });
  // A lone point still shows: a short flat line, its ends rounded.
  if (count === 1) d += `h1`;
  return { d: d || "M0 0", count };
}

/** A sparkline of counts per step, with the total in its accessible name. */
export function Sparkline(props: { values: number[]; label: string }) {
  const values = props.values;
  const width = 90;
  const height = 18;
  const max = Math.max(1, ...values);
  const points = values.map((v, i) =>
    `${(i * width / Math.max(1, values.length - 1)).toFixed(1)},${(height - 1 - (v / max) * (height - 2)).toFixed(1)}`
  ).join(" ");
  return (
    <svg class="spark" viewBox={`0 0 ${width} ${height}`} role="img" aria-label={props.label}>
      <polyline points={points} fill="none" data-points={String(values.length)} />
    </svg>
  );
}

/** The three charts of a funko's last hour, from its history. */
export function TrafficCharts(props: { points: TrafficPoint[]; now: number; spanMs: number }) {
  const { points, now, spanMs } = props;
  const times = points.map((p) => p.t + 5000);
  const classes: [number, string, string][] = [[1, "2xx", "var(--faaso-ok)"], [2, "3xx", "#1565c0"], [
    3,
    "4xx",
    "var(--faaso-warn)",
  ], [4, "5xx", "var(--faaso-bad)"]];
  const shown = classes.filter(([index, name]) => name === "2xx" || points.some((p) => p.rps[index]! > 0));
  return (
    <div class="charts">
      <LineChart
        id="chart-rps"
        title="Requests/s by status"
        unit="req/s"
        times={times}
        spanMs={spanMs}
        now={now}
        series={shown.map(([index, name, color]) => ({ name, color, values: points.map((p) => p.rps[index]!) }))}
      />
      <LineChart
        id="chart-latency"
        title="Latency"
        unit="ms"
        times={times}
        spanMs={spanMs}
        now={now}
        series={[
          { name: "p50", color: "#1565c0", values: points.map((p) => p.p50Ms) },
          { name: "p99", color: "#6a1b9a", values: points.map((p) => p.p99Ms) },
        ]}
      />
      <LineChart
        id="chart-instances"
        title="Ready instances"
        unit=""
        times={times}
        spanMs={spanMs}
        now={now}
        series={[{ name: "ready", color: "#00796b", values: points.map((p) => p.instances), steps: true }]}
      />
    </div>
  );
}

/** The last non-null value. */
function latest(values: (number | null)[]): number | null {
  for (let i = values.length - 1; i >= 0; i--) if (values[i] !== null) return values[i]!;
  return null;
}

/** 1, 2 or 5 times a power of ten, at least `value` (1 for nothing). */
export function niceMax(value: number): number {
  if (!(value > 0)) return 1;
  const power = 10 ** Math.floor(Math.log10(value));
  for (const step of [1, 2, 5, 10]) if (step * power >= value) return step * power;
  return 10 * power;
}

function formatTick(value: number): string {
  if (value >= 100) return String(Math.round(value));
  if (value >= 10) return value.toFixed(0);
  if (value >= 1) return value.toFixed(1).replace(/\.0$/, "");
  return value.toFixed(2).replace(/0$/, "");
}
