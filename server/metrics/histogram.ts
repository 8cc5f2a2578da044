/**
 * The two kinds of latency histogram the proxy keeps. Prometheus gets fixed
 * buckets (OpenTelemetry's for `http.server.request.duration`), cumulative
 * only when written out. The history behind the UI and the CLI gets fine
 * logarithmic slots, four per doubling, so that its p50 and p99 are within
 * about 10% of the truth from 0.1 ms to 100 s; the fixed buckets cannot tell
 * 0.4 ms from 4 ms.
 *
 * @module
 */

/** OpenTelemetry's advised buckets for `http.server.request.duration`, in seconds. */
export const DURATION_BUCKETS: readonly number[] = [
  0.005,
  0.01,
  0.025,
  0.05,
  0.075,
  0.1,
  0.25,
  0.5,
  0.75,
  1,
  2.5,
  5,
  7.5,
  10,
];

/** Buckets for wakes from zero, in seconds: an unpause takes ~15 ms, a start ~300 ms. */
export const WAKE_BUCKETS: readonly number[] = [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

/** Buckets for the event loop's delay, in seconds. */
export const LOOP_DELAY_BUCKETS: readonly number[] = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1];

/**
 * Counts per bucket (not cumulative: the last slot is above every bound),
 * their sum and count: one Prometheus histogram series.
 */
export class FixedHistogram {
  /** Observations per bucket; the last slot holds those above the last bound. */
  readonly counts: Float64Array;
  /** The sum of the observed values. */
  sum = 0;
  /** How many values were observed. */
  count = 0;
  readonly #bounds: readonly number[];

  constructor(bounds: readonly number[]) {
    this.#bounds = bounds;
    this.counts = new Float64Array(bounds.length + 1);
  }

  /** The upper bounds. */
  get bounds(): readonly number[] {
    return this.#bounds;
  }

  /** Adds one value. */
  observe(value: number): void {
    const bounds = this.#bounds;
    let i = 0;
    while (i < bounds.length && value > bounds[i]!) i++;
    this.counts[i]!++;
    this.sum += value;
    this.count++;
  }
}

/** Slots of the fine histogram: 0.1 ms to ~100 s, four per doubling. */
export const LATENCY_SLOTS = 80;
const SLOT_BASE_MS = 0.1;
const SLOTS_PER_DOUBLING = 4;

/** The fine slot of a duration in milliseconds. */
export function latencySlot(ms: number): number {
  if (!(ms > SLOT_BASE_MS)) return 0;
  const slot = Math.floor(Math.log2(ms / SLOT_BASE_MS) * SLOTS_PER_DOUBLING);
  return slot >= LATENCY_SLOTS ? LATENCY_SLOTS - 1 : slot;
}

/** The lower bound of a fine slot in milliseconds (slot 0 starts at 0). */
export function slotStartMs(slot: number): number {
  return slot === 0 ? 0 : SLOT_BASE_MS * 2 ** (slot / SLOTS_PER_DOUBLING);
}

/**
 * The `q` quantile (0..1) of fine slot counts, in milliseconds: the
 * geometric middle of the slot where it falls; null when nothing was counted.
 */
export function quantileMs(slots: ArrayLike<number>, q: number): number | null {
  let total = 0;
  for (let i = 0; i < slots.length; i++) total += slots[i]!;
  if (total === 0) return null;
  const rank = Math.max(1, Math.ceil(q * total));
  let seen = 0;
  for (let i = 0; i < slots.length; i++) {
    seen += slots[i]!;
    if (seen >= rank) {
      const low = slotStartMs(i);
      const high = slotStartMs(i + 1);
      return i === 0 ? high / 2 : Math.sqrt(low * high);
    }
  }
  return null;
}
