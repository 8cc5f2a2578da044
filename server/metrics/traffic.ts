/**
 * What the proxy counts, per funko: requests by status and method, their
 * durations (a Prometheus histogram per status), upstream failures by kind,
 * wakes from zero, requests waiting for an instance, and the last hour in
 * 10-second steps ({@linkcode FunkoHistory}). Recording a request is a few
 * map lookups and array increments, no allocation once a series exists: it
 * runs on the proxy's hot path.
 *
 * The series stay bounded whatever the traffic: there is no path label,
 * methods are folded into a fixed set, only funkos that exist get series
 * (the proxy says which), at most {@linkcode MAX_FUNKOS} of them, and a funko
 * quiet for an hour with no instance is forgotten.
 *
 * @module
 */
import type { UpstreamErrorKind } from "../../http1/mod.ts";
import { DURATION_BUCKETS, FixedHistogram, WAKE_BUCKETS } from "./histogram.ts";
import { FunkoHistory, STEP_MS } from "./history.ts";

/** The method label's values: RFC 9110's methods and PATCH; anything else is `_OTHER` (OpenTelemetry's convention). */
export const METHODS = ["GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH", "_OTHER"];

/** The index of a method in {@linkcode METHODS}. */
export function methodIndex(method: string): number {
  switch (method) {
    case "GET":
      return 0;
    case "HEAD":
      return 1;
    case "POST":
      return 2;
    case "PUT":
      return 3;
    case "DELETE":
      return 4;
    case "CONNECT":
      return 5;
    case "OPTIONS":
      return 6;
    case "TRACE":
      return 7;
    case "PATCH":
      return 8;
    default:
      return 9;
  }
}

/** Upstream failures counted by kind (`aborted` is the client leaving, not the instance failing). */
export const UPSTREAM_ERROR_KINDS = ["connect", "timeout", "reset", "protocol"] as const;

/** Funkos with series at most; more are not counted (the proxy serves them all the same). */
export const MAX_FUNKOS = 1000;

/** The requests of one status code: counts by method and their durations. */
export class CodeSeries {
  /** Requests by method, indexed as {@linkcode METHODS}. */
  readonly byMethod = new Float64Array(METHODS.length);
  /** Durations in seconds. */
  readonly duration = new FixedHistogram(DURATION_BUCKETS);
}

/** Everything counted for one funko. */
export class FunkoCounters {
  /** Series by status code. */
  readonly codes = new Map<number, CodeSeries>();
  /** Upstream failures by kind, indexed as {@linkcode UPSTREAM_ERROR_KINDS}. */
  readonly upstreamErrors = new Float64Array(UPSTREAM_ERROR_KINDS.length);
  /** Wakes from zero and how long they took, in seconds. */
  readonly wakes = new FixedHistogram(WAKE_BUCKETS);
  /** Requests waiting for an instance now. */
  waiting = 0;
  /** The last hour. */
  readonly history: FunkoHistory;

  constructor(now: number) {
    this.history = new FunkoHistory(now);
  }
}

/** Options for {@linkcode Traffic}. */
export interface TrafficOptions {
  /** Ready instances now of every funko that has instances (0 when none is ready), noted in the history every 10 s. */
  readyInstances?: () => Map<string, number>;
  /** The clock (ms since the epoch). */
  now?: () => number;
}

/** What the proxy's observer counts into: {@linkcode Traffic}, or a worker thread's batch of it. */
export interface TrafficSink {
  /** Requests for names that are no funko. */
  unknownRequests: number;
  /** Counts an answer of a funko: status, method, duration in seconds. */
  record(funko: string, status: number, method: string, seconds: number): void;
  /** Counts an instance of `funko` failing a request. */
  recordUpstreamError(funko: string, kind: UpstreamErrorKind): void;
  /** A request started (+1) or stopped (-1) waiting for an instance of `funko`. */
  waiting(funko: string, change: number): void;
}

/** The proxy's counts, by funko. */
export class Traffic implements TrafficSink {
  /** Requests for names that are no funko (404s, never a series of their own). */
  unknownRequests = 0;
  readonly #funkos = new Map<string, FunkoCounters>();
  readonly #readyInstances: () => Map<string, number>;
  readonly #now: () => number;
  #timer: ReturnType<typeof setTimeout> | undefined;

  constructor(options: TrafficOptions = {}) {
    this.#readyInstances = options.readyInstances ?? (() => new Map());
    this.#now = options.now ?? Date.now;
  }

  /** Counts an answer of a funko: status, method, duration in seconds. */
  record(funko: string, status: number, method: string, seconds: number): void {
    const counters = this.#funkos.get(funko) ?? this.#add(funko);
    if (!counters) return;
    let series = counters.codes.get(status);
    if (!series) counters.codes.set(status, series = new CodeSeries());
    series.byMethod[methodIndex(method)]!++;
    series.duration.observe(seconds);
    counters.history.record(status, seconds * 1000);
  }

  /** Counts an instance of `funko` failing a request. */
  recordUpstreamError(funko: string, kind: UpstreamErrorKind): void {
    const index = UPSTREAM_ERROR_KINDS.indexOf(kind as typeof UPSTREAM_ERROR_KINDS[number]);
    if (index < 0) return;
    const counters = this.#funkos.get(funko) ?? this.#add(funko);
    if (counters) counters.upstreamErrors[index]!++;
  }

  /**
   * Counts a wake from zero: a request found no instance awake and one was
   * woken (unpaused or started) for it, taking `ms`. For scale to zero: the
   * series are defined now and fed by whoever wakes instances.
   */
  recordWake(funko: string, ms: number): void {
    const counters = this.#funkos.get(funko) ?? this.#add(funko);
    counters?.wakes.observe(ms / 1000);
  }

  /** A request started (+1) or stopped (-1) waiting for an instance of `funko`. */
  waiting(funko: string, change: number): void {
    const counters = this.#funkos.get(funko) ?? this.#add(funko);
    if (counters) counters.waiting = Math.max(0, counters.waiting + change);
  }

  /** The counters of a funko, if it has any. */
  get(funko: string): FunkoCounters | undefined {
    return this.#funkos.get(funko);
  }

  /** Every funko with counters, by name. */
  entries(): IterableIterator<[string, FunkoCounters]> {
    return this.#funkos.entries();
  }

  /** Closes 10-second steps every 10 s (on the wall clock's boundaries) until {@linkcode stop}. */
  start(): void {
    if (this.#timer !== undefined) return;
    const schedule = () => {
      const now = this.#now();
      this.#timer = setTimeout(() => {
        this.tick(this.#now());
        schedule();
      }, STEP_MS - (now % STEP_MS) + 5);
      // The metrics never keep the process alive.
      Deno.unrefTimer(this.#timer as unknown as number);
    };
    schedule();
  }

  /** Stops closing steps. */
  stop(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  /**
   * Closes the steps that ended by `now`, noting ready instances; funkos with
   * instances get a history before their first request, and funkos quiet for
   * an hour that have no instance are forgotten.
   */
  tick(now: number): void {
    const instances = this.#readyInstances();
    for (const [funko, counters] of this.#funkos) {
      counters.history.rotate(now, instances.get(funko) ?? 0);
      if (!instances.has(funko) && counters.waiting === 0 && counters.history.quiet) this.#funkos.delete(funko);
    }
    for (const funko of instances.keys()) if (!this.#funkos.has(funko)) this.#add(funko);
  }

  /** Starts counting for a funko; undefined once {@linkcode MAX_FUNKOS} have counters. */
  #add(funko: string): FunkoCounters | undefined {
    if (this.#funkos.size >= MAX_FUNKOS) return undefined;
    const counters = new FunkoCounters(this.#now());
    this.#funkos.set(funko, counters);
    return counters;
  }
}
