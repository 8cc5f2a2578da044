/**
 * One funko's recent traffic in memory: a ring of 10-second steps covering
 * the last hour, each with requests by status class, fine latency slots and
 * the number of ready instances at its end. The UI's table and charts and
 * the CLI's figures are read from it; it is bounded (361 steps per funko)
 * whatever the traffic, and forgotten when the server stops. Prometheus,
 * which keeps history properly, reads the cumulative counters instead.
 *
 * @module
 */
import type { StatusClasses, TrafficPoint } from "../../core/traffic.ts";
import { LATENCY_SLOTS, latencySlot, quantileMs } from "./histogram.ts";

/** Length of a step. */
export const STEP_MS = 10_000;
/** Steps kept: one hour, and the one filling now. */
export const STEPS = 361;
/** Steps in a sparkline: 15 minutes. */
export const SPARK_STEPS = 90;

/** The status class (index into {@linkcode StatusClasses}) of a status code. */
export function statusClass(status: number): number {
  const hundreds = Math.floor(status / 100);
  return hundreds < 1 ? 0 : hundreds > 5 ? 4 : hundreds - 1;
}

/** What {@linkcode FunkoHistory.summary} adds up. */
export interface WindowTotals {
  /** Requests in the window. */
  requests: number;
  /** 5xx answers in the window. */
  errors: number;
  /** Seconds the window covers (less than asked just after start). */
  seconds: number;
  /** Median in ms, null without requests. */
  p50Ms: number | null;
  /** 99th percentile in ms, null without requests. */
  p99Ms: number | null;
}

/**
 * A funko's last hour in 10-second steps, in flat typed arrays (about 9 KB a
 * funko, and 320 bytes more per step that had requests).
 */
export class FunkoHistory {
  /** Requests by step and status class (5 per step). */
  readonly #classes = new Uint32Array(STEPS * 5);
  readonly #requests = new Uint32Array(STEPS);
  /** Ready instances when each step ended; -1 while unknown. */
  readonly #instances = new Int32Array(STEPS).fill(-1);
  /** Fine latency slots per step, made on a step's first request. */
  readonly #latency: (Uint32Array | undefined)[] = new Array(STEPS).fill(undefined);
  #head = 0;
  #headStart: number;
  /** Steps that exist (since the history began), the current one included. */
  #steps = 1;
  readonly #born: number;

  /** Starts at `now` (ms since the epoch); steps are aligned to 10-second boundaries. */
  constructor(now: number) {
    this.#born = now;
    this.#headStart = now - (now % STEP_MS);
  }

  /** Counts one answer: its status and how long it took. The proxy's hot path: no allocation once warm. */
  record(status: number, ms: number): void {
    const head = this.#head;
    this.#classes[head * 5 + statusClass(status)]!++;
    this.#requests[head]!++;
    (this.#latency[head] ??= new Uint32Array(LATENCY_SLOTS))[latencySlot(ms)]!++;
  }

  /** Closes the steps that ended by `now`, noting `instances` (ready now) for each. */
  rotate(now: number, instances: number): void {
    while (this.#headStart + STEP_MS <= now) {
      this.#instances[this.#head] = instances;
      this.#head = (this.#head + 1) % STEPS;
      this.#headStart += STEP_MS;
      this.#steps = Math.min(STEPS, this.#steps + 1);
      const head = this.#head;
      this.#classes.fill(0, head * 5, head * 5 + 5);
      this.#requests[head] = 0;
      this.#instances[head] = -1;
      this.#latency[head]?.fill(0);
    }
  }

  /** Whether nothing at all was counted in the last hour. */
  get quiet(): boolean {
    return this.#requests.every((count) => count === 0);
  }

  /** Totals over the last `seconds` (whole steps, the filling one included). */
  summary(seconds: number, now: number): WindowTotals {
    const count = Math.min(this.#steps, Math.max(1, Math.ceil(seconds * 1000 / STEP_MS)));
    const merged = new Uint32Array(LATENCY_SLOTS);
    let requests = 0;
    let errors = 0;
    for (let back = 0; back < count; back++) {
      const index = this.#index(back);
      requests += this.#requests[index]!;
      errors += this.#classes[index * 5 + 4]!;
      const latency = this.#latency[index];
      if (latency && this.#requests[index]) { for (let i = 0; i < LATENCY_SLOTS; i++) merged[i]! += latency[i]!; }
    }
    const oldest = this.#headStart - (count - 1) * STEP_MS;
    return {
      requests,
      errors,
      seconds: Math.max(1, (now - Math.max(oldest, this.#born)) / 1000),
      p50Ms: quantileMs(merged, 0.5),
      p99Ms: quantileMs(merged, 0.99),
    };
  }

  /** Requests per step over the last {@linkcode SPARK_STEPS} steps, oldest first (0 before the server counted). */
  spark(): number[] {
    const out: number[] = [];
    for (let back = SPARK_STEPS - 1; back >= 0; back--) {
      out.push(back < this.#steps ? this.#requests[this.#index(back)]! : 0);
    }
    return out;
  }

  /**
   * The last `seconds` as points, oldest first; the last point is the step
   * filling now (its rates over the part that passed), with `instancesNow`.
   */
  points(seconds: number, now: number, instancesNow: number): TrafficPoint[] {
    const count = Math.min(this.#steps, Math.max(1, Math.ceil(seconds * 1000 / STEP_MS)));
    const points: TrafficPoint[] = [];
    for (let back = count - 1; back >= 0; back--) {
      const index = this.#index(back);
      const start = this.#headStart - back * STEP_MS;
      const span = Math.max(1, ((back === 0 ? now : start + STEP_MS) - Math.max(start, this.#born)) / 1000);
      const rps = Array.from(this.#classes.subarray(index * 5, index * 5 + 5), (n) => round(n / span));
      const latency = this.#requests[index] ? this.#latency[index] : undefined;
      const instances = this.#instances[index]!;
      points.push({
        t: start,
        rps: rps as StatusClasses,
        p50Ms: latency ? round(quantileMs(latency, 0.5)!) : null,
        p99Ms: latency ? round(quantileMs(latency, 0.99)!) : null,
        instances: back === 0 ? instancesNow : instances < 0 ? null : instances,
      });
    }
    return points;
  }

  /** The ring index of the step `back` steps before the current one. */
  #index(back: number): number {
    return (this.#head - back + STEPS) % STEPS;
  }
}

function round(value: number): number {
  return Math.round(value * 1000) / 1000;
}
