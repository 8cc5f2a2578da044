/**
 * What the proxy's threads count, in memory they share: per instance,
 * requests in flight; per funko, requests that arrived; per thread, the
 * routes version it applied, its open connections and the requests its
 * listener read. Each thread (the main one is 0, workers 1, 2, ...) writes
 * only its own region (one writer: plain increments) and reads the sums: a
 * pick weighs every thread's requests in flight, and the drains, the
 * sleeper, the autoscaler and the metrics read them as totals.
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
/** 32-bit cells per thread. */
const CELLS = APPLIED + 3;
/** Bytes per thread: the cells, then its request count (a float64, 8-byte aligned). */
const REGION_BYTES = Math.ceil(CELLS * 4 / 8) * 8 + 8;

/** Memory for `threads` threads' counts (the main one included). */
export function sharedCountsBuffer(threads: number): SharedArrayBuffer {
  return new SharedArrayBuffer(threads * REGION_BYTES);
}

/** One thread's view: it writes its own region and reads every thread's. */
export class ThreadCounts {
  /** How many threads share the memory. */
  readonly threads: number;
  /** Every thread's cells, one region after the other. */
  readonly #all: Int32Array;
  /** This thread's cells: requests in flight by endpoint slot first (the routing table adds and takes). */
  readonly own: Int32Array;
  readonly #requests: Float64Array[];
  readonly #thread: number;

  constructor(buffer: SharedArrayBuffer, thread: number) {
    this.threads = buffer.byteLength / REGION_BYTES;
    this.#thread = thread;
    this.#all = new Int32Array(buffer);
    this.own = new Int32Array(buffer, thread * REGION_BYTES, CELLS);
    this.#requests = Array.from(
      { length: this.threads },
      (_, i) => new Float64Array(buffer, i * REGION_BYTES + REGION_BYTES - 8, 1),
    );
  }

  /** Counts a request that arrived for the funko with this slot. */
  arrived(funkoSlot: number): void {
    this.own[ARRIVALS + funkoSlot]!++;
  }

  /** Counts a request this thread's listener read. */
  request(): void {
    this.#requests[this.#thread]![0]!++;
  }

  /** Says that this thread applied the routes of this version. */
  applied(version: number): void {
    Atomics.store(this.own, APPLIED, version);
  }

  /** Notes this thread's open connections. */
  connections(client: number, upstream: number): void {
    this.own[CLIENT_CONNECTIONS] = client;
    this.own[UPSTREAM_CONNECTIONS] = upstream;
  }

  /** Sets this thread's counts for an endpoint and a funko (the main thread's, counted before the memory existed). */
  seed(slot: number, inFlight: number, funkoSlot: number, arrivals: number): void {
    if (slot >= 0) this.own[slot] = inFlight;
    if (funkoSlot >= 0) this.own[ARRIVALS + funkoSlot] = arrivals;
  }

  /** Requests in flight to the endpoint with this slot, in every thread. */
  totalInFlight(slot: number): number {
    let total = 0;
    for (let thread = 0; thread < this.threads; thread++) total += Atomics.load(this.#all, thread * STRIDE + slot);
    return total;
  }

  /** Requests that arrived for the funko with this slot, in every thread. */
  totalArrivals(funkoSlot: number): number {
    return this.totalInFlight(ARRIVALS + funkoSlot);
  }

  /** The routes version thread `thread` applied last. */
  appliedBy(thread: number): number {
    return Atomics.load(this.#all, thread * STRIDE + APPLIED);
  }

  /** Every thread's open connections, as each last noted them (the main thread notes none: it counts its own). */
  connectionsOfAll(): { client: number; upstream: number } {
    let client = 0;
    let upstream = 0;
    for (let thread = 0; thread < this.threads; thread++) {
      client += Atomics.load(this.#all, thread * STRIDE + CLIENT_CONNECTIONS);
      upstream += Atomics.load(this.#all, thread * STRIDE + UPSTREAM_CONNECTIONS);
    }
    return { client, upstream };
  }

  /** Requests thread `thread`'s listener read. */
  requestsOf(thread: number): number {
    return this.#requests[thread]![0]!;
  }
}

/** Int32 cells from one thread's region to the next. */
const STRIDE = REGION_BYTES / 4;
