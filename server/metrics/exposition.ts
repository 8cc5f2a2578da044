/**
 * Prometheus's text exposition format, version 0.0.4: `# HELP` and `# TYPE`
 * lines, then one `name{label="value"} number` line per sample; histograms as
 * cumulative `_bucket{le=...}` lines with `_sum` and `_count`.
 *
 * Written by hand, not with prom-client: in Deno, prom-client's
 * `counter.inc(labels)` plus `histogram.observe(labels, v)` cost 0.6-0.8 µs
 * of CPU per request (labels hashed into a string key on every call, cached
 * children too), 20-30 times `Traffic.record` (25-35 ns) and 2-3% of the
 * proxy's whole CPU time per request; it also loads Node's cluster and v8
 * modules. Here the hot path only increments arrays; this module turns them
 * into text when Prometheus scrapes.
 *
 * @module
 */
import type { FixedHistogram } from "./histogram.ts";

/** The media type of the text format. */
export const PROMETHEUS_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

/** A metric's kind, as `# TYPE` says it. */
export type MetricType = "counter" | "gauge" | "histogram" | "summary" | "untyped";

/** Label names and values of one sample, in order. */
export type Labels = [string, string][];

/** Builds one exposition: families in the order they are added. */
export class PrometheusText {
  #lines: string[] = [];

  /** Starts a metric family: its help text and type. */
  family(name: string, type: MetricType, help: string): this {
    this.#lines.push(`# HELP ${name} ${escapeHelp(help)}`, `# TYPE ${name} ${type}`);
    return this;
  }

  /** One sample. */
  sample(name: string, labels: Labels, value: number): this {
    this.#lines.push(`${name}${labelText(labels)} ${formatValue(value)}`);
    return this;
  }

  /** The `_bucket`, `_sum` and `_count` samples of a histogram series. */
  histogram(name: string, labels: Labels, histogram: FixedHistogram): this {
    let cumulative = 0;
    const bounds = histogram.bounds;
    for (let i = 0; i <= bounds.length; i++) {
      cumulative += histogram.counts[i]!;
      const le = i < bounds.length ? formatValue(bounds[i]!) : "+Inf";
      this.sample(`${name}_bucket`, [...labels, ["le", le]], cumulative);
    }
    this.sample(`${name}_sum`, labels, histogram.sum);
    return this.sample(`${name}_count`, labels, histogram.count);
  }

  /** The exposition, ending with a newline. */
  toString(): string {
    return `${this.#lines.join("\n")}\n`;
  }
}

/** `{a="1",b="2"}`, or nothing without labels. */
function labelText(labels: Labels): string {
  if (labels.length === 0) return "";
  return `{${labels.map(([name, value]) => `${name}="${escapeLabelValue(value)}"`).join(",")}}`;
}

/** A label value with backslash, double quote and line feed escaped. */
export function escapeLabelValue(value: string): string {
  return value.replace(/[\\"\n]/g, (c) => c === "\n" ? "\\n" : `\\${c}`);
}

function escapeHelp(help: string): string {
  return help.replace(/[\\\n]/g, (c) => c === "\n" ? "\\n" : "\\\\");
}

/** A sample value: integers as such, `+Inf`, `-Inf`, `NaN`. */
export function formatValue(value: number): string {
  if (Number.isNaN(value)) return "NaN";
  if (value === Infinity) return "+Inf";
  if (value === -Infinity) return "-Inf";
  return String(value);
}
