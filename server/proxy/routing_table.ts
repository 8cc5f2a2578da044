/**
 * The proxy's routing table: for each funko, its instances and which of them
 * may get traffic. Routes are computed when instances change, not per request,
 * and a request may wait for an instance to become ready instead of failing
 * at once (instances starting now, or a sleeping funko being woken). It also
 * counts what the autoscaler and the idle timer read: requests in flight per
 * funko (streams and WebSockets until they end) and requests that arrived.
 * With `faaso serve --threads N`, the main thread's table sends every change
 * to the worker threads' copies and adds their counts to its own (threads/).
 *
 * @module
 */
import type { Instance } from "../../core/instances.ts";
import {
  type Endpoint,
  type EndpointCounts,
  type FunkoRouteState,
  isHealthy,
  isPending,
  isProbed,
  type RouteReplicas,
} from "./endpoint.ts";
import { ENDPOINT_SLOTS, FUNKO_SLOTS, type ThreadCounts } from "./threads/shared_counts.ts";

export {
  type Endpoint,
  type EndpointCounts,
  type EndpointState,
  type FunkoRouteState,
  isHealthy,
  type RouteReplicas,
} from "./endpoint.ts";

class FunkoRoutes {
  endpoints = new Map<string, Endpoint>();
  ready: Endpoint[] = [];
  next = 0;
  waiters = new Set<() => void>();
  /** Requests that arrived (picks without a retry's exclusion): the idle timer sees activity by its change. */
  arrivals = 0;
  /** Set on a funko the sleeper is putting to sleep: its instances, new ones included, get no traffic. */
  asleep = false;
  /** Where the worker threads count its arrivals. */
  slot: number;

  constructor(slot: number) {
    this.slot = slot;
  }
}

/** Endpoints by funko, with the ready ones precomputed. */
export class RoutingTable {
  #funkos = new Map<string, FunkoRoutes>();
  #byId = new Map<string, Endpoint>();
  #nextSlot = 0;
  #nextFunkoSlot = 0;
  /** The main thread's: the worker threads' copies of the routes. */
  #replicas: RouteReplicas | undefined;
  /** Where this thread counts, beside the other proxy threads (threads/shared_counts.ts). */
  #counts: ThreadCounts | undefined;

  /** Tells the worker threads' copies of the routes of every change from now on. */
  attachReplicas(replicas: RouteReplicas): void {
    this.#replicas = replicas;
  }

  /**
   * Counts requests in flight and arrivals where every proxy thread reads
   * them (what was counted so far goes there first), and weighs picks and
   * reads totals by every thread's counts from now on.
   */
  countInto(counts: ThreadCounts): void {
    for (const routes of this.#funkos.values()) {
      counts.seed(-1, 0, routes.slot, routes.arrivals);
      for (const endpoint of routes.endpoints.values()) counts.seed(endpoint.slot, endpoint.inFlight, -1, 0);
    }
    this.#counts = counts;
  }

  /** Settles once the worker threads (if any) have applied every change made so far. */
  settled(): Promise<void> {
    return this.#replicas?.settled() ?? Promise.resolve();
  }

  /** A request to the endpoint started: counted in flight until {@linkcode finished}. */
  started(endpoint: Endpoint): void {
    endpoint.inFlight++;
    if (this.#counts) this.#counts.own[endpoint.slot]!++;
  }

  /** A request to the endpoint ended. */
  finished(endpoint: Endpoint): void {
    endpoint.inFlight--;
    if (this.#counts) this.#counts.own[endpoint.slot]!--;
  }

  /** Requests in flight to an endpoint, in every thread. */
  inFlightOf(endpoint: Pick<Endpoint, "inFlight" | "slot">): number {
    return this.#counts ? this.#counts.totalInFlight(endpoint.slot) : endpoint.inFlight;
  }

  /** A funko's routes, for the worker threads (no endpoints once it is forgotten). */
  routeState(funko: string): FunkoRouteState {
    const routes = this.#funkos.get(funko);
    if (!routes) return { funko, slot: -1, asleep: false, endpoints: [] };
    const endpoints = [...routes.endpoints.values()].map(({ inFlight: _, ...state }) => state);
    return { funko, slot: routes.slot, asleep: routes.asleep, endpoints };
  }

  /** A worker thread's copy: takes a funko's routes as the main thread sent them. */
  applyRoutes(state: FunkoRouteState): void {
    const routes = this.#routes(state.funko);
    routes.slot = state.slot;
    routes.asleep = state.asleep;
    const seen = new Set<string>();
    for (const endpointState of state.endpoints) {
      seen.add(endpointState.id);
      const endpoint = this.#byId.get(endpointState.id);
      if (endpoint) Object.assign(endpoint, endpointState);
      else {
        const added = { ...endpointState, inFlight: 0 };
        this.#byId.set(added.id, added);
        routes.endpoints.set(added.id, added);
      }
    }
    for (const id of [...routes.endpoints.keys()]) {
      if (seen.has(id)) continue;
      routes.endpoints.delete(id);
      this.#byId.delete(id);
    }
    this.#changed(state.funko);
  }

  /** Adds or refreshes an instance. */
  upsert(instance: Instance): Endpoint {
    let endpoint = this.#byId.get(instance.id);
    const address = instance.address ?? "";
    if (!endpoint) {
      endpoint = {
        id: instance.id,
        name: instance.name,
        funko: instance.funko,
        origin: "",
        address: "",
        port: instance.port,
        healthPath: instance.healthPath,
        running: false,
        paused: false,
        asleep: this.#funkos.get(instance.funko)?.asleep ?? false,
        trusted: false,
        health: "none",
        probed: false,
        suspect: false,
        draining: false,
        inFlight: 0,
        spare: false,
        slot: this.#nextSlot++ % ENDPOINT_SLOTS,
      };
      this.#byId.set(instance.id, endpoint);
      this.#routes(instance.funko).endpoints.set(instance.id, endpoint);
    }
    const wasRunning = endpoint.running;
    endpoint.address = address;
    endpoint.port = instance.port;
    endpoint.healthPath = instance.healthPath;
    endpoint.origin = address ? `http://${address.includes(":") ? `[${address}]` : address}:${instance.port}` : "";
    endpoint.running = instance.state === "running";
    endpoint.paused = instance.state === "paused";
    endpoint.health = instance.health;
    endpoint.spare = instance.spare === true;
    if (instance.retiring !== undefined) endpoint.draining = instance.retiring;
    if (!endpoint.running || !wasRunning) {
      // A (re)started instance proves itself anew.
      endpoint.probed = false;
      endpoint.suspect = false;
      endpoint.problem = undefined;
      endpoint.trusted = false;
    }
    this.#changed(instance.funko);
    return endpoint;
  }

  /** Changes an endpoint's state by ID; unknown IDs are ignored. */
  update(
    id: string,
    change: Partial<
      Pick<Endpoint, "running" | "paused" | "health" | "probed" | "suspect" | "draining" | "problem" | "trusted">
    >,
  ): void {
    const endpoint = this.#byId.get(id);
    if (!endpoint) return;
    Object.assign(endpoint, change);
    this.#changed(endpoint.funko);
  }

  /** Forgets an instance. */
  remove(id: string): void {
    const endpoint = this.#byId.get(id);
    if (!endpoint) return;
    this.#byId.delete(id);
    const routes = this.#funkos.get(endpoint.funko);
    routes?.endpoints.delete(id);
    this.#changed(endpoint.funko);
  }

  /** Replaces everything with a fresh listing (after the event stream reconnects). */
  replaceAll(instances: Instance[]): void {
    const seen = new Set(instances.map((instance) => instance.id));
    for (const id of [...this.#byId.keys()]) if (!seen.has(id)) this.remove(id);
    for (const instance of instances) this.upsert(instance);
  }

  /** The endpoint with an ID. */
  get(id: string): Endpoint | undefined {
    return this.#byId.get(id);
  }

  /**
   * Picks the ready endpoint with the fewest requests in flight, rotating
   * among equals; `exclude` skips one, or several (those a retry already
   * tried). Undefined when none is ready.
   */
  pick(funko: string, exclude?: Endpoint | ReadonlySet<Endpoint>): Endpoint | undefined {
    const routes = this.#funkos.get(funko);
    if (!routes) return undefined;
    if (!exclude) {
      routes.arrivals++;
      this.#counts?.arrived(routes.slot);
    }
    if (routes.ready.length === 0) return undefined;
    const ready = routes.ready;
    const start = routes.next++ % ready.length;
    const counts = this.#counts;
    let best: Endpoint | undefined;
    let bestLoad = 0;
    for (let i = 0; i < ready.length; i++) {
      const candidate = ready[(start + i) % ready.length]!;
      if (candidate === exclude || (exclude instanceof Set && exclude.has(candidate))) continue;
      // Every proxy thread's requests in flight to it, when there are several.
      const load = counts ? counts.totalInFlight(candidate.slot) : candidate.inFlight;
      if (!best || load < bestLoad) {
        best = candidate;
        bestLoad = load;
      }
    }
    return best;
  }

  /** Whether the funko has an instance that may become ready soon. */
  hasPending(funko: string): boolean {
    const routes = this.#funkos.get(funko);
    if (!routes) return false;
    for (const endpoint of routes.endpoints.values()) if (isPending(endpoint)) return true;
    return false;
  }

  /** Why the funko's instances that are not ready are not, from their last probes ("" when none says). */
  problems(funko: string): string {
    const routes = this.#funkos.get(funko);
    if (!routes) return "";
    const said = [...routes.endpoints.values()].filter((endpoint) => endpoint.problem && !isHealthy(endpoint))
      .map((endpoint) => `${endpoint.name}: ${endpoint.problem}`);
    return said.join("; ");
  }

  /**
   * Takes the funko's instances out of traffic while it is put to sleep and
   * while it sleeps (true), or gives them back (false). Requests then wait
   * for a wake rather than reach an instance being frozen or stopped.
   */
  setAsleep(funko: string, asleep: boolean): void {
    const routes = asleep ? this.#routes(funko) : this.#funkos.get(funko);
    if (!routes) return;
    routes.asleep = asleep;
    for (const endpoint of routes.endpoints.values()) endpoint.asleep = asleep;
    this.#changed(funko);
  }

  /**
   * Routes to an instance the proxy probed ready itself (one it woke, or the
   * autoscaler's new one), before the engine's events about it arrive and
   * without waiting for Docker's first or next verdict.
   */
  markReady(instance: Instance): Endpoint {
    const endpoint = this.upsert(instance);
    Object.assign(endpoint, { running: true, paused: false, probed: true, trusted: true, suspect: false });
    this.#changed(instance.funko);
    return endpoint;
  }

  /** Requests in flight to the funko's instances now (streams and WebSockets included). */
  inFlight(funko: string): number {
    const routes = this.#funkos.get(funko);
    let total = 0;
    if (routes) { for (const endpoint of routes.endpoints.values()) total += this.inFlightOf(endpoint); }
    return total;
  }

  /** How many requests for the funko arrived so far, in every thread (a counter: compare two readings). */
  arrivals(funko: string): number {
    const routes = this.#funkos.get(funko);
    if (!routes) return 0;
    return this.#counts ? this.#counts.totalArrivals(routes.slot) : routes.arrivals;
  }

  /** Whether the funko is taken out of traffic to sleep. */
  isAsleep(funko: string): boolean {
    return this.#funkos.get(funko)?.asleep ?? false;
  }

  /** How many of the funko's instances are live, ready, paused, stopped. */
  counts(funko: string): EndpointCounts {
    const counts: EndpointCounts = {
      live: 0,
      ready: 0,
      paused: 0,
      stopped: 0,
      draining: 0,
      starting: 0,
      spares: 0,
      sparesReady: 0,
    };
    const routes = this.#funkos.get(funko);
    if (!routes) return counts;
    counts.ready = routes.ready.length;
    for (const endpoint of routes.endpoints.values()) {
      if (endpoint.spare) {
        if (endpoint.running || endpoint.paused) counts.spares++;
        if (endpoint.paused) counts.sparesReady++;
      } else if (endpoint.paused) counts.paused++;
      else if (!endpoint.running) counts.stopped++;
      else if (endpoint.draining) counts.draining++;
      else if (!endpoint.asleep) {
        counts.live++;
        if (isPending(endpoint)) counts.starting++;
      }
    }
    return counts;
  }

  /** The funko's endpoints. */
  endpoints(funko: string): Endpoint[] {
    return [...this.#funkos.get(funko)?.endpoints.values() ?? []];
  }

  /** The funkos the table has instances of. */
  funkos(): string[] {
    return [...this.#funkos.keys()];
  }

  /** Whether the table has ever seen an instance of this funko that still exists. */
  knows(funko: string): boolean {
    return (this.#funkos.get(funko)?.endpoints.size ?? 0) > 0;
  }

  /**
   * Waits until the funko has a ready endpoint and picks it; undefined after
   * `timeoutMs`, or when `signal` aborts (the client went away).
   */
  waitForReady(funko: string, timeoutMs: number, signal?: AbortSignal): Promise<Endpoint | undefined> {
    const now = this.pick(funko);
    if (now || timeoutMs <= 0 || signal?.aborted) return Promise.resolve(now);
    const routes = this.#routes(funko);
    return new Promise((resolve) => {
      const finish = (endpoint: Endpoint | undefined) => {
        clearTimeout(timer);
        routes.waiters.delete(wake);
        signal?.removeEventListener("abort", abort);
        resolve(endpoint);
      };
      const wake = () => {
        const endpoint = this.pick(funko);
        if (endpoint) finish(endpoint);
      };
      const abort = () => finish(undefined);
      const timer = setTimeout(() => finish(undefined), timeoutMs);
      routes.waiters.add(wake);
      signal?.addEventListener("abort", abort, { once: true });
    });
  }

  /** Every funko's endpoints, for the admin API. */
  snapshot(): Record<string, (Omit<Endpoint, "origin"> & { ready: boolean })[]> {
    const out: Record<string, (Omit<Endpoint, "origin"> & { ready: boolean })[]> = {};
    for (const [funko, routes] of this.#funkos) {
      if (routes.endpoints.size === 0) continue;
      out[funko] = [...routes.endpoints.values()].map(({ origin: _, ...endpoint }) => ({
        ...endpoint,
        inFlight: this.inFlightOf(endpoint),
        ready: routes.ready.some((ready) => ready.id === endpoint.id),
      }));
    }
    return out;
  }

  #routes(funko: string): FunkoRoutes {
    let routes = this.#funkos.get(funko);
    if (!routes) {
      routes = new FunkoRoutes(this.#nextFunkoSlot++ % FUNKO_SLOTS);
      this.#funkos.set(funko, routes);
    }
    return routes;
  }

  #changed(funko: string): void {
    this.#replicas?.changed(funko);
    const routes = this.#funkos.get(funko);
    if (!routes) return;
    const endpoints = [...routes.endpoints.values()];
    const healthy = endpoints.filter(isHealthy);
    routes.ready = healthy.length > 0 ? healthy : endpoints.filter(isProbed);
    if (routes.endpoints.size === 0 && routes.waiters.size === 0 && !routes.asleep) this.#funkos.delete(funko);
    if (routes.ready.length > 0) { for (const wake of [...routes.waiters]) wake(); }
  }
}

/**
 * Takes instances out of the traffic and resolves once none has a request in
 * flight, or after `drainMs`.
 */
export async function drainInTable(table: RoutingTable, ids: string[], drainMs: number): Promise<void> {
  for (const id of ids) table.update(id, { draining: true });
  const deadline = Date.now() + drainMs;
  // The worker threads pick no draining instance once they have applied the change: only then can a zero count.
  await table.settled();
  const busy = (id: string) => {
    const endpoint = table.get(id);
    return endpoint !== undefined && table.inFlightOf(endpoint) > 0;
  };
  while (Date.now() < deadline && ids.some(busy)) {
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
