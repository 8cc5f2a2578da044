/**
 * An instance as the proxy sees it ({@linkcode Endpoint}), whether it may
 * get traffic, and the shapes the routing table sends the proxy's worker
 * threads.
 *
 * @module
 */
import type { InstanceHealth } from "../../core/instances.ts";

/** An instance as the proxy sees it. */
export interface Endpoint {
  /** Instance ID. */
  readonly id: string;
  /** Instance name (`faaso-NAME-xxxxxx`). */
  readonly name: string;
  /** The funko. */
  readonly funko: string;
  /** `http://ADDRESS:PORT`. */
  origin: string;
  /** Its address on faaso-net. */
  address: string;
  /** The port its app listens on (the funko's `port`). */
  port: number;
  /** The path the proxy's probe GETs; null: the port accepting a connection is enough. */
  healthPath: string | null;
  /** Whether it is running (and not stopping). */
  running: boolean;
  /** Whether the engine says it is paused (frozen: a wake thaws it). */
  paused: boolean;
  /**
   * Its funko is being put to sleep, or sleeps: no new request goes to it
   * (requests wait for the wake instead), whatever the engine says.
   */
  asleep: boolean;
  /**
   * Made ready by the proxy itself, which probed it (a wake, an autoscaler's
   * new instance): until Docker's next health event the probe decides, not
   * Docker's verdict, which is stale after a pause (Docker marks a paused
   * instance unhealthy without an event) or not there yet after a start.
   */
  trusted: boolean;
  /** Docker's verdict. */
  health: InstanceHealth;
  /**
   * The proxy's own probe (core/probe.ts: the health path, or the port) passed
   * since the instance (re)started. Without a Docker healthcheck this is what
   * makes it ready; with one, it only lets a cold start go ahead of Docker.
   */
  probed: boolean;
  /** Why the last probe failed, for the 503 a request gets when no instance is ready. */
  problem?: string;
  /** A connection to it failed: no traffic until it proves itself again. */
  suspect: boolean;
  /** Being replaced (deploy): finishes its requests, gets no new ones. */
  draining: boolean;
  /** Requests being served by it now, streams and WebSockets until they end. */
  inFlight: number;
  /** A warm spare (core/instances.ts): never routed, counted apart, until taken into service. */
  spare: boolean;
  /** Where the proxy's worker threads count its requests in flight (threads/shared_counts.ts). */
  slot: number;
}

/** An endpoint as the main thread sends it to the worker threads: all but its own count. */
export type EndpointState = Omit<Endpoint, "inFlight">;

/** A funko's routes as the main thread sends them to the worker threads (no endpoints: forgotten). */
export interface FunkoRouteState {
  funko: string;
  /** Where the workers count its arrivals. */
  slot: number;
  asleep: boolean;
  endpoints: EndpointState[];
}

/** The proxy's worker threads, as the main thread's table sees them: copies of its routes to keep in step. */
export interface RouteReplicas {
  /** A funko's routes changed: sent to the workers. */
  changed(funko: string): void;
  /** Settles once every worker has applied every change made so far. */
  settled(): Promise<void>;
}

/** Whether an endpoint may get traffic at all (running, reachable, not being replaced, not asleep). */
function isUsable(endpoint: Endpoint): boolean {
  return endpoint.running && !endpoint.spare && !endpoint.suspect && !endpoint.draining && !endpoint.asleep &&
    endpoint.address !== "";
}

/**
 * Whether an endpoint is healthy: Docker says so, or, without a Docker
 * healthcheck (an image that has none), the proxy's own probe passed.
 */
export function isHealthy(endpoint: Endpoint): boolean {
  return isUsable(endpoint) &&
    (endpoint.health === "healthy" || ((endpoint.health === "none" || endpoint.trusted) && endpoint.probed));
}

/**
 * Whether an endpoint is still starting by Docker's count but passed the
 * proxy's own probe. Such endpoints get traffic only while their funko
 * has no healthy one (a cold start), never beside healthy ones (a deploy or
 * a scale-up waits for Docker's verdict).
 */
export function isProbed(endpoint: Endpoint): boolean {
  return isUsable(endpoint) && endpoint.health === "starting" && endpoint.probed;
}

/** Whether an endpoint may become ready soon (running, not ready yet, not unhealthy, not asleep). */
export function isPending(endpoint: Endpoint): boolean {
  return endpoint.running && !endpoint.spare && !endpoint.draining && !endpoint.asleep && !isHealthy(endpoint) &&
    endpoint.health !== "unhealthy";
}

/** How many instances of a funko do what, from the proxy's view. */
export interface EndpointCounts {
  /** Running or starting and not retiring nor asleep: what the autoscaler counts. */
  live: number;
  /** Ready for requests now. */
  ready: number;
  /** Paused by the engine. */
  paused: number;
  /** Retiring (a deploy or a scale-down drains them). */
  draining: number;
  /** Running, not ready yet (starting). */
  starting: number;
  /** Neither running nor paused (exited, created). */
  stopped: number;
  /** Warm spares, paused or being made (counted in none of the others). */
  spares: number;
  /** Of the spares, those paused: ready to be taken. */
  sparesReady: number;
}
