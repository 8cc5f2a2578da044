/**
 * The autoscaler's arithmetic, after Knative's KPA: requests in flight are
 * averaged over a stable window (60 s) and a panic window (6 s); the desired
 * number of instances is ceil(in flight / (concurrency x 0.7)). Normally the
 * stable average decides. When the panic window asks for at least twice the
 * instances that serve now, the decider panics: it follows the panic window
 * up and does not scale down until a whole stable window has passed without
 * such a burst. Up at once, down by at most half per decision, always within
 * min..max (at least 1: going to zero is the sleeper's business).
 *
 * @module
 */
import { TARGET_UTILIZATION } from "../../core/scaling.ts";

/** The stable window: what the autoscaler averages normally. */
export const STABLE_WINDOW_MS = 60_000;

/** The panic window: what it averages to notice a burst. */
export const PANIC_WINDOW_MS = 6_000;

/** How far the panic window must outgrow the instances that serve before the decider panics. */
export const PANIC_THRESHOLD = 2;

/** Samples of the requests in flight over time, averaged over trailing windows. */
export class ConcurrencyWindow {
  #times: number[] = [];
  #values: number[] = [];
  #keepMs: number;

  /** Keeps samples for `keepMs` (the longest window asked for). */
  constructor(keepMs = STABLE_WINDOW_MS) {
    this.#keepMs = keepMs;
  }

  /** Adds a sample taken at `now`. */
  add(now: number, value: number): void {
    this.#times.push(now);
    this.#values.push(value);
    let old = 0;
    while (old < this.#times.length && this.#times[old]! <= now - this.#keepMs) old++;
    if (old > 0) {
      this.#times.splice(0, old);
      this.#values.splice(0, old);
    }
  }

  /** The mean of the samples of the last `windowMs` (0 without any). */
  average(now: number, windowMs: number): number {
    let sum = 0;
    let count = 0;
    for (let i = this.#times.length - 1; i >= 0 && this.#times[i]! > now - windowMs; i--) {
      sum += this.#values[i]!;
      count++;
    }
    return count === 0 ? 0 : sum / count;
  }

  /** The largest sample of the last `windowMs` (0 without any). */
  peak(now: number, windowMs: number): number {
    let peak = 0;
    for (let i = this.#times.length - 1; i >= 0 && this.#times[i]! > now - windowMs; i--) {
      peak = Math.max(peak, this.#values[i]!);
    }
    return peak;
  }
}

/** A funko's autoscaling settings. */
export interface DeciderSpec {
  /** Requests in flight one instance is meant to take. */
  concurrency: number;
  /** The fewest instances (0 counts as 1: the decider never goes to zero). */
  min: number;
  /** The most. */
  max: number;
  /** The stable window. Default 60 s. */
  stableWindowMs?: number;
}

/** What the decider looks at. */
export interface Observation {
  /** Now, in ms. */
  now: number;
  /** Average in flight over the stable window. */
  stable: number;
  /** Average in flight over the panic window. */
  panic: number;
  /** Instances ready for requests now. */
  ready: number;
  /** Instances running or starting (what a decision changes). */
  live: number;
}

/** What the decider wants. */
export interface Decision {
  /** The number of instances to have. */
  target: number;
  /** Whether it is panicking (no scale-down). */
  panicking: boolean;
  /** What the stable window alone asks for. */
  stableWants: number;
  /** What the panic window alone asks for. */
  panicWants: number;
}

/** One funko's decider: it remembers when it last panicked. */
export class AutoscaleDecider {
  #panicSince: number | null = null;
  #panicPeak = 0;

  /** Decides how many instances the funko should have. */
  decide(spec: DeciderSpec, seen: Observation): Decision {
    const perInstance = spec.concurrency * TARGET_UTILIZATION;
    const stableWants = Math.ceil(seen.stable / perInstance);
    const panicWants = Math.ceil(seen.panic / perInstance);
    const serving = Math.max(seen.ready, 1);
    if (panicWants / serving >= PANIC_THRESHOLD) this.#panicSince = seen.now;
    else if (this.#panicSince !== null && seen.now - this.#panicSince >= (spec.stableWindowMs ?? STABLE_WINDOW_MS)) {
      this.#panicSince = null;
      this.#panicPeak = 0;
    }
    let wanted = stableWants;
    const panicking = this.#panicSince !== null;
    if (panicking) {
      // The larger of both windows, and never less than before while the panic lasts.
      this.#panicPeak = Math.max(this.#panicPeak, stableWants, panicWants);
      wanted = Math.max(this.#panicPeak, seen.live);
    } else if (wanted < seen.live) {
      // Down by at most half of what runs per decision.
      wanted = Math.max(wanted, Math.ceil(seen.live / 2));
    }
    const target = Math.min(Math.max(wanted, spec.min, 1), spec.max);
    return { target, panicking, stableWants, panicWants };
  }
}
