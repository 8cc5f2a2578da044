/**
 * What the proxy's worker threads count, in memory the main thread reads
 * without asking: per instance, requests in flight; per funko, requests
 * that arrived; per thread, the routes version it applied, its open
 * connections and the requests it answered. Each worker writes only its own
 * region (one writer: plain increments), the main thread sums the regions.
 * The drains, the sleeper, the autoscaler and the metrics read these as they
 * read the main thread's own counts.
 *
 * Slots are handed out by the main thread's routing table in turn and wrap
 * around: an instance (funko) gets the slot of the one 16,384 (4,096) before
 * it, long gone by then.
 *
 * @module
 */

/** Slots for instances' requests in flight. */
export const ENDPOINT_SLOTS = 16_384;
/** Slots for funkos' arrivals. */
export const FUNKO_SLOTS = 4_096;

const ARRIVALS = ENDPOINT_SLOTS;
const APPLIED = ARRIVALS + FUNKO_SLOTS;
const CLIENT_CONNECTIONS = APPLIED + 1;
const UPSTREAM_CONNECTIONS = APPLIED + 2;
/** 32-bit cells per worker. */
const CELLS = APPLIED + 3;

/** One worker's view: the region it writes. */
export class WorkerCounts {
  readonly #cells: Int32Array;
  readonly #requests: Float64Array;

  constructor(buffer: SharedArrayBuffer, worker: number) {
    this.#cells = new Int32Array(buffer, (worker - 1) * CELLS * 4, CELLS);
    this.#requests = new Float64Array(buffer, requestsOffset(buffer) + (worker - 1) * 8, 1);
  }

  /** The worker's in-flight cells, indexed by an endpoint's slot (the routing table adds and takes). */
  get inFlight(): Int32Array {
    return this.#cells;
  }

  /** Counts a request that arrived for the funko with this slot. */
  arrived(funkoSlot: number): void {
    this.#cells[ARRIVALS + funkoSlot]!++;
  }

  /** Counts a request the worker's listener read. */
  request(): void {
    this.#requests[0]!++;
  }

  /** Says that the worker applied the routes of this version. */
  applied(version: number): void {
    Atomics.store(this.#cells, APPLIED, version);
  }

  /** Notes the worker's open connections. */
  connections(client: number, upstream: number): void {
    this.#cells[CLIENT_CONNECTIONS] = client;
    this.#cells[UPSTREAM_CONNECTIONS] = upstream;
  }
}

/** The main thread's view: every worker's region, summed. */
export class SharedCounts {
  /** The memory, for the workers. */
  readonly buffer: SharedArrayBuffer;
  /** How many workers write here. */
  readonly workers: number;
  readonly #cells: Int32Array;
  readonly #requests: Float64Array;

  constructor(workers: number) {
    this.workers = workers;
    this.buffer = new SharedArrayBuffer(workers * CELLS * 4 + workers * 8 + 8);
    this.#cells = new Int32Array(this.buffer, 0, workers * CELLS);
    this.#requests = new Float64Array(this.buffer, requestsOffset(this.buffer), workers);
  }

  /** Requests in flight in the workers to the endpoint with this slot. */
  inFlight(slot: number): number {
    let total = 0;
    for (let worker = 0; worker < this.workers; worker++) total += Atomics.load(this.#cells, worker * CELLS + slot);
    return total;
  }

  /** Requests that arrived in the workers for the funko with this slot. */
  arrivals(funkoSlot: number): number {
    let total = 0;
    for (let worker = 0; worker < this.workers; worker++) {
      total += Atomics.load(this.#cells, worker * CELLS + ARRIVALS + funkoSlot);
    }
    return total;
  }

  /** The routes version worker `worker` (1, 2, ...) applied last. */
  applied(worker: number): number {
    return Atomics.load(this.#cells, (worker - 1) * CELLS + APPLIED);
  }

  /** The workers' open connections, as they last noted them. */
  connections(): { client: number; upstream: number } {
    let client = 0;
    let upstream = 0;
    for (let worker = 0; worker < this.workers; worker++) {
      client += Atomics.load(this.#cells, worker * CELLS + CLIENT_CONNECTIONS);
      upstream += Atomics.load(this.#cells, worker * CELLS + UPSTREAM_CONNECTIONS);
    }
    return { client, upstream };
  }

  /** Requests worker `worker` (1, 2, ...) read from its clients. */
  requests(worker: number): number {
    return this.#requests[worker - 1]!;
  }
}

/** Where the per-worker request counts start: after the cells, on an 8-byte boundary. */
function requestsOffset(buffer: SharedArrayBuffer): number {
  const workers = Math.floor((buffer.byteLength - 8) / (CELLS * 4 + 8));
  return Math.ceil((workers * CELLS * 4) / 8) * 8;
}
