/**
 * Keeps the routing table true to what the engine says: one full listing,
 * then the instance event stream (never polling). When the stream breaks (the
 * engine restarted) it reconnects and resyncs from a fresh listing.
 *
 * Docker 20.10 runs an instance's first healthcheck only after a full
 * `interval`, so the watcher also probes starting instances itself (the
 * funko's health path, or its port's acceptance: core/probe.ts; a few tens of
 * milliseconds apart) and routes to one as soon as it passes: a cold start is
 * not held hostage by the healthcheck interval. An instance without a Docker
 * healthcheck is ready only once the probe passed. Docker's "unhealthy" still
 * wins over any probe.
 *
 * @module
 */
import type { InstanceBackend, InstanceEvent } from "../../core/instances.ts";
import { probe } from "../../core/probe.ts";
import { type Endpoint, isHealthy, type RoutingTable } from "./routing_table.ts";

/** The first probe of a starting instance comes this soon; the delay then grows to LAST_PROBE_MS. */
const FIRST_PROBE_MS = 20;
const LAST_PROBE_MS = 1000;

/** Options for {@linkcode RouteWatcher}. */
export interface RouteWatcherOptions {
  /** Where to report reconnections. Default: console.error. */
  log?: (message: string) => void;
  /** Also told of every instance event, after the table took it in. */
  onEvent?: (event: InstanceEvent) => void;
}

/** Feeds a {@linkcode RoutingTable} from an {@linkcode InstanceBackend}. */
export class RouteWatcher {
  #table: RoutingTable;
  #instances: InstanceBackend;
  #abort = new AbortController();
  #probing = new Set<string>();
  #options: Required<Omit<RouteWatcherOptions, "onEvent">> & Pick<RouteWatcherOptions, "onEvent">;
  #loop: Promise<void> | undefined;
  #reader: ReadableStreamDefaultReader<InstanceEvent> | undefined;

  constructor(table: RoutingTable, instances: InstanceBackend, options: RouteWatcherOptions = {}) {
    this.#table = table;
    this.#instances = instances;
    this.#options = {
      log: options.log ?? ((message) => console.error(message)),
      onEvent: options.onEvent,
    };
  }

  /** Starts watching; resolves after the first full sync. */
  start(): Promise<void> {
    return new Promise((resolve, reject) => {
      let synced = false;
      this.#loop = this.#run(() => {
        synced = true;
        resolve();
      }, (error) => {
        if (!synced) reject(error);
      });
    });
  }

  /** Stops watching and probing. */
  async stop(): Promise<void> {
    this.#abort.abort();
    // Aborting a fetch does not always end a read already waiting on its body: cancel the reader too.
    await this.#reader?.cancel().catch(() => {});
    await this.#loop;
  }

  /** Asks for an endpoint to be probed (a connection to it just failed). */
  probe(endpoint: Endpoint): void {
    if (this.#probing.has(endpoint.id) || this.#abort.signal.aborted) return;
    this.#probing.add(endpoint.id);
    this.#probeLoop(endpoint).finally(() => this.#probing.delete(endpoint.id));
  }

  async #run(onSync: () => void, onFirstError: (error: unknown) => void): Promise<void> {
    const signal = this.#abort.signal;
    let backoff = 100;
    while (!signal.aborted) {
      try {
        this.#reader = (await this.#instances.events(signal)).getReader();
        const all = await this.#instances.list(undefined, signal);
        this.#table.replaceAll(all.filter((instance) => instance.funko));
        for (const instance of all) this.#probeIfPending(instance.id);
        onSync();
        backoff = 100;
        while (true) {
          const { value: event, done } = await this.#reader.read();
          if (done) break;
          await this.#apply(event);
          this.#options.onEvent?.(event);
        }
        if (signal.aborted) break;
        this.#options.log("The Docker event stream ended; reconnecting");
      } catch (error) {
        if (signal.aborted) break;
        onFirstError(error);
        this.#options.log(`Cannot follow the Docker engine's events: ${(error as Error).message}; retrying`);
      } finally {
        // A listing or an event that failed leaves the subscription open: close it before the next.
        await this.#reader?.cancel().catch(() => {});
        this.#reader = undefined;
      }
      await sleep(backoff, signal);
      backoff = Math.min(backoff * 2, 5000);
    }
  }

  async #apply(event: InstanceEvent): Promise<void> {
    switch (event.action) {
      case "start":
      case "update": {
        const instance = await this.#instances.get(event.id, this.#abort.signal);
        if (instance) this.#table.upsert(instance);
        this.#probeIfPending(event.id);
        break;
      }
      case "health":
        if (!this.#table.get(event.id)) {
          const instance = await this.#instances.get(event.id, this.#abort.signal);
          if (instance) this.#table.upsert(instance);
        }
        // One change, one recomputation of the funko's routes; healthy also clears a failed connection.
        this.#table.update(event.id, {
          health: event.health ?? "none",
          ...(event.health === "healthy" ? { suspect: false } : {}),
        });
        break;
      case "stop":
        this.#table.update(event.id, { running: false });
        break;
      case "destroy":
        this.#table.remove(event.id);
        break;
    }
  }

  #probeIfPending(id: string): void {
    const endpoint = this.#table.get(id);
    if (endpoint && endpoint.running && !isHealthy(endpoint)) this.probe(endpoint);
  }

  async #probeLoop(endpoint: Endpoint): Promise<void> {
    const signal = this.#abort.signal;
    let delay = FIRST_PROBE_MS;
    while (!signal.aborted && this.#table.get(endpoint.id) === endpoint && endpoint.running) {
      if (endpoint.health === "unhealthy" || endpoint.draining || isHealthy(endpoint)) return;
      if (endpoint.address) {
        const result = await probe(endpoint, { signal });
        if (result.ready) {
          this.#table.update(endpoint.id, { probed: true, suspect: false, problem: undefined });
          return;
        }
        if (result.reason !== endpoint.problem && !signal.aborted) {
          this.#table.update(endpoint.id, { problem: result.reason });
        }
      }
      await sleep(delay, signal);
      delay = Math.min(delay * 1.5, LAST_PROBE_MS);
    }
  }
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    signal.addEventListener("abort", done, { once: true });
    function done() {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    }
  });
}
