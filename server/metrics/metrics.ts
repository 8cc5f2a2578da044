/**
 * The server's metrics in one place: the traffic counts the proxy feeds, the
 * routing table's view of instances, the process's own figures, and sources
 * other parts of the server add. It writes the Prometheus exposition
 * (`GET /metrics`) and the JSON summaries behind the web UI and the CLI
 * (`GET /admin/api/stats`).
 *
 * @module
 */
import type { TrafficHistoryReport, TrafficReport } from "../../core/traffic.ts";
import type { RoutingTable } from "../proxy/routing_table.ts";
import { type Labels, PrometheusText } from "./exposition.ts";
import { STEP_MS } from "./history.ts";
import { EventLoopMonitor, processFigures } from "./process_stats.ts";
import { METHODS, Traffic, UPSTREAM_ERROR_KINDS } from "./traffic.ts";

/** The states `faaso_instances` counts, as the proxy sees its instances. */
export const INSTANCE_STATES = ["ready", "starting", "unhealthy", "unreachable", "draining", "stopped"] as const;

/** An instance's state for `faaso_instances`. */
export type InstanceState = typeof INSTANCE_STATES[number];

type RouteSnapshot = ReturnType<RoutingTable["snapshot"]>;
type RouteEntry = RouteSnapshot[string][number];

/** The state of one endpoint of the routing table. */
export function instanceState(entry: RouteEntry): InstanceState {
  if (!entry.running) return "stopped";
  if (entry.draining) return "draining";
  if (entry.ready) return "ready";
  if (entry.health === "unhealthy") return "unhealthy";
  if (entry.suspect) return "unreachable";
  return "starting";
}

/**
 * More series for the exposition, written at each scrape: how other parts
 * of the server (async calls, schedules) add theirs without touching this
 * module. `write` adds whole families to `text`.
 *
 * @example Queued async calls
 * ```ts
 * metrics.addSource((text) => {
 *   text.family("faaso_calls_queued", "gauge", "Async calls waiting for delivery");
 *   for (const [funko, n] of queue.depths()) text.sample("faaso_calls_queued", [["funko", funko]], n);
 * });
 * ```
 */
export type MetricSource = (text: PrometheusText) => void | Promise<void>;

/** Where {@linkcode Metrics} reads what it does not count itself. */
export interface MetricsOptions {
  /** The proxy's routing table: instances and requests in flight. */
  table: RoutingTable;
  /** Open client connections of the listener, and upstream connections of the proxy. */
  connections?: () => { client: number; upstream: number };
}

/** The server's metrics. */
export class Metrics {
  /** The proxy's counts: give `traffic` to a {@linkcode TrafficRecorder}. */
  readonly traffic: Traffic;
  readonly #table: RoutingTable;
  readonly #loop = new EventLoopMonitor();
  readonly #sources: MetricSource[] = [];
  readonly #catchUps: (() => Promise<void>)[] = [];
  #connections: () => { client: number; upstream: number };

  constructor(options: MetricsOptions) {
    this.#table = options.table;
    this.#connections = options.connections ?? (() => ({ client: 0, upstream: 0 }));
    this.traffic = new Traffic({ readyInstances: () => this.#readyByFunko() });
  }

  /** Starts the 10-second steps and the event loop's sampling. */
  start(): void {
    this.traffic.start();
    this.#loop.start();
  }

  /** Stops both. */
  stop(): void {
    this.traffic.stop();
    this.#loop.stop();
  }

  /** Where connection counts come from (known only once the listener and the proxy exist). */
  countConnections(connections: () => { client: number; upstream: number }): void {
    this.#connections = connections;
  }

  /**
   * Counts a wake from zero of `funko` that took `ms` (for scale to zero):
   * `faaso_wakes_total` and `faaso_wake_duration_seconds`.
   */
  recordWake(funko: string, ms: number): void {
    this.traffic.recordWake(funko, ms);
  }

  /** Adds what must happen before the counts are read: the proxy's worker threads send theirs. */
  catchUpWith(catchUp: () => Promise<void>): void {
    this.#catchUps.push(catchUp);
  }

  /** Settles once every count made so far is in (see {@linkcode catchUpWith}); call before reading. */
  async caughtUp(): Promise<void> {
    await Promise.all(this.#catchUps.map((catchUp) => catchUp()));
  }

  /** Adds series written at every scrape. */
  addSource(source: MetricSource): void {
    this.#sources.push(source);
  }

  /** The Prometheus exposition. */
  async render(): Promise<string> {
    await this.caughtUp();
    const text = new PrometheusText();
    const traffic = this.traffic;
    const funkos = [...traffic.entries()];
    text.family("faaso_requests_total", "counter", "Requests answered through the proxy, by funko, status and method");
    for (const [funko, counters] of funkos) {
      for (const [code, series] of counters.codes) {
        for (let m = 0; m < METHODS.length; m++) {
          const count = series.byMethod[m]!;
          if (count) text.sample("faaso_requests_total", label(funko, code, METHODS[m]!), count);
        }
      }
    }
    text.family(
      "faaso_request_duration_seconds",
      "histogram",
      "Time from a request's arrival at the proxy to its answer's last byte",
    );
    for (const [funko, counters] of funkos) {
      for (const [code, series] of counters.codes) {
        text.histogram("faaso_request_duration_seconds", [["funko", funko], ["code", String(code)]], series.duration);
      }
    }
    text.family("faaso_unknown_funko_requests_total", "counter", "Requests for names that are no funko (404)")
      .sample("faaso_unknown_funko_requests_total", [], traffic.unknownRequests);
    this.#writeInstances(text);
    text.family("faaso_upstream_errors_total", "counter", "Requests an instance failed, by kind (the proxy may retry)");
    for (const [funko, counters] of funkos) {
      for (let k = 0; k < UPSTREAM_ERROR_KINDS.length; k++) {
        const count = counters.upstreamErrors[k]!;
        if (count) {
          text.sample("faaso_upstream_errors_total", [["funko", funko], ["kind", UPSTREAM_ERROR_KINDS[k]!]], count);
        }
      }
    }
    text.family("faaso_wakes_total", "counter", "Wakes of a funko from zero instances");
    for (const [funko, counters] of funkos) {
      if (counters.wakes.count) text.sample("faaso_wakes_total", [["funko", funko]], counters.wakes.count);
    }
    text.family(
      "faaso_wake_duration_seconds",
      "histogram",
      "How long a wake from zero took, to the instance's readiness",
    );
    for (const [funko, counters] of funkos) {
      if (counters.wakes.count) text.histogram("faaso_wake_duration_seconds", [["funko", funko]], counters.wakes);
    }
    for (const source of this.#sources) await source(text);
    await this.#writeProcess(text);
    return text.toString();
  }

  /** Every funko's last `windowSeconds`, with its instances and requests in flight now. */
  report(windowSeconds: number, now = Date.now()): TrafficReport {
    const routes = this.#table.snapshot();
    const names = new Set([...Object.keys(routes), ...[...this.traffic.entries()].map(([name]) => name)]);
    const funkos: TrafficReport["funkos"] = {};
    for (const name of [...names].sort()) {
      const counters = this.traffic.get(name);
      const entries = routes[name] ?? [];
      const totals = counters?.history.summary(windowSeconds, now);
      const requests = totals?.requests ?? 0;
      funkos[name] = {
        requests,
        rps: requests / (totals?.seconds ?? windowSeconds),
        errors: totals?.errors ?? 0,
        errorRate: requests ? (totals?.errors ?? 0) / requests : 0,
        p50Ms: totals?.p50Ms ?? null,
        p99Ms: totals?.p99Ms ?? null,
        inFlight: entries.reduce((sum, entry) => sum + entry.inFlight, 0) + (counters?.waiting ?? 0),
        instances: { ready: entries.filter((entry) => entry.ready).length, total: entries.length },
        spark: counters?.history.spark() ?? [],
      };
    }
    return { at: new Date(now).toISOString(), windowSeconds, funkos };
  }

  /** A funko's last `seconds` in 10-second points (empty when nothing was counted for it). */
  history(funko: string, seconds: number, now = Date.now()): TrafficHistoryReport {
    const counters = this.traffic.get(funko);
    const ready = (this.#table.snapshot()[funko] ?? []).filter((entry) => entry.ready).length;
    return {
      funko,
      stepSeconds: STEP_MS / 1000,
      points: counters ? counters.history.points(seconds, now, ready) : [],
    };
  }

  #readyByFunko(): Map<string, number> {
    const ready = new Map<string, number>();
    for (const [funko, entries] of Object.entries(this.#table.snapshot())) {
      ready.set(funko, entries.filter((entry) => entry.ready).length);
    }
    return ready;
  }

  #writeInstances(text: PrometheusText): void {
    const routes = this.#table.snapshot();
    text.family("faaso_instances", "gauge", "Instances as the proxy sees them, by funko and state");
    for (const [funko, entries] of Object.entries(routes)) {
      const counts = new Map<InstanceState, number>(INSTANCE_STATES.map((state) => [state, 0]));
      for (const entry of entries) counts.set(instanceState(entry), counts.get(instanceState(entry))! + 1);
      for (const [state, count] of counts) text.sample("faaso_instances", [["funko", funko], ["state", state]], count);
    }
    text.family("faaso_requests_in_flight", "gauge", "Requests being answered or waiting for an instance, by funko");
    const names = new Set([...Object.keys(routes), ...[...this.traffic.entries()].map(([name]) => name)]);
    for (const funko of names) {
      const inFlight = (routes[funko] ?? []).reduce((sum, entry) => sum + entry.inFlight, 0);
      text.sample("faaso_requests_in_flight", [["funko", funko]], inFlight + (this.traffic.get(funko)?.waiting ?? 0));
    }
  }

  async #writeProcess(text: PrometheusText): Promise<void> {
    const figures = await processFigures();
    const connections = this.#connections();
    text.family("process_resident_memory_bytes", "gauge", "Resident memory of the faaso serve process")
      .sample("process_resident_memory_bytes", [], figures.rssBytes)
      .family("process_cpu_seconds_total", "counter", "User and system CPU time of the process")
      .sample("process_cpu_seconds_total", [], figures.cpuSeconds)
      .family("process_start_time_seconds", "gauge", "When the process started, in seconds since the epoch")
      .sample("process_start_time_seconds", [], Math.round(figures.startSeconds));
    if (figures.openFds !== null) {
      text.family("process_open_fds", "gauge", "Open file descriptors, sockets included")
        .sample("process_open_fds", [], figures.openFds);
    }
    text.family("faaso_heap_used_bytes", "gauge", "V8 heap in use")
      .sample("faaso_heap_used_bytes", [], figures.heapUsedBytes)
      .family("faaso_open_connections", "gauge", "Open TCP connections: from clients, and to instances")
      .sample("faaso_open_connections", [["side", "client"]], connections.client)
      .sample("faaso_open_connections", [["side", "upstream"]], connections.upstream)
      .family("faaso_event_loop_delay_seconds", "histogram", "How late a 100 ms timer ran: the event loop's delay")
      .histogram("faaso_event_loop_delay_seconds", [], this.#loop.delays)
      .family("faaso_event_loop_delay_max_seconds", "gauge", "The largest event loop delay of the last 10 s")
      .sample("faaso_event_loop_delay_max_seconds", [], this.#loop.recentMax);
  }
}

function label(funko: string, code: number, method: string): Labels {
  return [["funko", funko], ["code", String(code)], ["method", method]];
}
