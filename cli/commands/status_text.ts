/**
 * What `faaso status` prints for each funko: a line, its activity and
 * traffic, its instances, and with a NAME its settings and images.
 *
 * @module
 */
import { autoscales, describeScaling, initialScale } from "../../core/scaling.ts";
import type { FunkoStatus } from "../../core/status.ts";
import { foreignLatestNote } from "../../core/names.ts";
import { ago } from "../../core/time.ts";
import { formatMs, formatPercent, formatRate, type TrafficReport, type TrafficSummary } from "../../core/traffic.ts";
import { counted, readyWhen } from "../../core/words.ts";
import type { Output } from "../output.ts";

/** Prints funkos as a table, with instance and image lines under each. */
export function printStatus(
  output: Output,
  funkos: FunkoStatus[],
  detailed: boolean,
  traffic?: TrafficReport,
): void {
  const c = output.colors;
  for (const funko of funkos) {
    const latest = !funko.latest
      ? "no image"
      : funko.latest.foreign
      ? c.yellow("latest, not built by FaaSO")
      : `${funko.latest.tags.find((t) => t !== "latest") ?? "latest"}`;
    const origin = funko.image ? `image ${funko.image}` : `runtime ${funko.runtime || "-"}`;
    // Asleep: its paused or stopped instances; awake: those that run.
    const asleep = funko.activity !== undefined && funko.activity.state !== "awake";
    const count = asleep ? funko.instances.length : funko.scale;
    const state = asleep ? c.yellow(funko.activity!.state) : "running";
    output.print(
      `${c.bold(funko.name)}  ${origin}  ${counted(count, "instance")} ${state}  latest ${latest}` +
        (funko.latest ? ` (${ago(funko.latest.created)})` : ""),
    );
    const activity = activityLine(funko);
    if (activity) output.print(`  ${activity}`);
    if (traffic) output.print(`  ${trafficLine(traffic.funkos[funko.name])}`);
    if (funko.instances.length === 0) output.print("  no instances");
    for (const instance of funko.instances) {
      const health = instance.health === "none" ? "" : ` ${instance.health}`;
      const date = instance.outOfDate ? c.yellow(" out of date") : "";
      const oom = instance.oomKilled ? " (out of memory: killed at its memory limit)" : "";
      const crashes = instance.restarts
        ? c.red(`  restarted ${counted(instance.restarts, "time")}, last exit code ${instance.exitCode ?? "?"}${oom}`)
        : oom
        ? c.red(`  last exit code ${instance.exitCode ?? "?"}${oom}`)
        : "";
      const node = instance.node ? ` on ${instance.node}` : "";
      const spare = instance.spare ? " (warm spare)" : "";
      output.print(
        `  ${instance.name}  ${instance.state}${spare}${health}  ${instance.address ?? "-"}${node}${date}${crashes}`,
      );
    }
    if (funko.latest?.foreign) output.warn(foreignLatestNote(funko.name));
    if (detailed) {
      const settings = funko.settings;
      const health = settings.healthcheck;
      output.print(
        `  settings of the latest image: faaso up starts ${initialScale(settings)}, memory ${
          settings.memory ?? "unlimited"
        }, cpus ${settings.cpus ?? "unlimited"}, ` +
          `drain ${settings.drain}`,
      );
      output.print(`  serves: port ${settings.port}, ready when ${readyWhen(settings)}`);
      output.print(`  scaling: ${describeScaling(settings)}`);
      const own = funko.runtime
        ? "the runtime's GET /ping"
        : funko.image
        ? "the image's own, if any"
        : "the Dockerfile's, if any";
      output.print(
        `  healthcheck: ${health.command ?? own} every ${health.interval} ` +
          `(timeout ${health.timeout}, start period ${health.start_period}, ${health.retries} retries)`,
      );
      const env = Object.entries(settings.env);
      output.print(`  env: ${env.length ? env.map(([k, v]) => `${k}=${v}`).join(" ") : "-"}`);
      printInvocations(output, funko);
      output.print("  images:");
      for (const image of funko.images) {
        output.print(
          `    ${image.tags.join(", ") || "<untagged>"}  ${image.id.slice(7, 19)}  ${megabytes(image.size)}`,
        );
      }
    }
  }
}

/**
 * What the proxy knows of the funko's activity: "awake; last request 3 seconds
 * ago; 2 in flight; autoscaler target 3". In local mode, only what the engine
 * shows, and whether a faaso serve answers to make it sleep and autoscale.
 */
export function activityLine(funko: FunkoStatus): string {
  const activity = funko.activity;
  if (!activity) return "";
  const scaled = funko.settings.scale.min === 0 || autoscales(funko.settings);
  const parts: string[] = [];
  if (activity.state !== "awake" || activity.source === "proxy") {
    parts.push(
      activity.since && activity.state !== "awake" ? `${activity.state} since ${ago(activity.since)}` : activity.state,
    );
  }
  if (activity.source === "proxy") {
    parts.push(
      activity.lastRequest ? `last request ${ago(activity.lastRequest)}` : "no request since the proxy started",
    );
    if (activity.inFlight) parts.push(`${activity.inFlight} in flight`);
    if (activity.target !== null) {
      parts.push(`autoscaler target ${activity.target}${activity.panicking ? " (panic)" : ""}`);
    }
    if (activity.spares) parts.push(counted(activity.spares, "warm spare") + " ready");
  } else if (scaled) {
    parts.push(
      activity.watched
        ? "a faaso serve answers on this machine: ask it (FAASO_SERVER) for requests and the autoscaler's target"
        : "no faaso serve answers on this machine: nothing sleeps or autoscales by itself (only the proxy sees requests)",
    );
  }
  return parts.join("; ");
}

/** The async settings and queue, and each schedule entry with its next and last run. */
function printInvocations(output: Output, funko: FunkoStatus): void {
  const c = output.colors;
  const async = funko.settings.async;
  if (async) {
    const queue = funko.calls
      ? `; calls: ${funko.calls.queued} queued, ${funko.calls.running} running, ${funko.calls.failed} failed, ` +
        `${funko.calls.done} done in the last hour`
      : "";
    output.print(
      `  async: ${async.attempts} attempts, waits ${async.min_delay} doubling to ${async.max_delay}, ` +
        `${async.concurrency} at a time, bodies up to ${async.max_body}${queue}`,
    );
  }
  const schedules = funko.schedules ?? [];
  if (schedules.length === 0) return;
  output.print("  schedules:");
  for (const entry of schedules) {
    const last = entry.last
      ? `last ${entry.last} ${
        entry.running
          ? c.yellow("running")
          : entry.lastOk
          ? c.green(entry.lastResult ?? "")
          : c.red(entry.lastResult ?? "")
      }`
      : "never ran";
    output.print(
      `    ${c.bold(entry.name)}  ${entry.cron} (${entry.timezone})  ${entry.request}  next ${
        entry.next ?? "never"
      }  ` +
        `${last}  runs ${entry.runs}, skipped ${entry.skipped}${entry.catchUp ? ", catches up" : ""}`,
    );
  }
}

function megabytes(bytes: number): string {
  return `${(bytes / 1e6).toFixed(1)} MB`;
}

/** "traffic (last minute): 12.3/s, 0.4% errors, p50 1.2 ms, p99 8.4 ms". */
export function trafficLine(summary: TrafficSummary | undefined): string {
  if (!summary || summary.requests === 0) return "traffic (last minute): no requests";
  return `traffic (last minute): ${formatRate(summary.rps)}, ${formatPercent(summary.errorRate)} errors, ` +
    `p50 ${formatMs(summary.p50Ms)}, p99 ${formatMs(summary.p99Ms)}`;
}
