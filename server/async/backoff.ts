/**
 * When an async call is tried again: which answers mean "try later", and how
 * long to wait (exponential, with jitter so that calls that failed together
 * do not all come back together).
 *
 * @module
 */
import { type AsyncSettings, delayMs } from "../../core/async_settings.ts";

/** Statuses that mean the funko may answer later: timeouts, too many requests, server failures. */
export const RETRYABLE_STATUSES: ReadonlySet<number> = new Set([408, 429, 500, 502, 503, 504]);

/**
 * The wait after the `attempt`-th failed attempt (1 for the first):
 * `min_delay * 2^(attempt-1)`, capped at `max_delay`, times a random factor
 * between 1 and 1.5, never above `max_delay`. A `Retry-After` the funko sent
 * (in ms) is honoured up to `max_delay`.
 */
export function backoffMs(
  attempt: number,
  settings: Pick<AsyncSettings, "min_delay" | "max_delay">,
  retryAfterMs = 0,
  random: () => number = Math.random,
): number {
  const min = delayMs(settings.min_delay);
  const max = delayMs(settings.max_delay);
  const base = Math.min(max, min * 2 ** Math.max(0, attempt - 1));
  const jittered = Math.min(max, Math.round(base * (1 + 0.5 * random())));
  return Math.max(jittered, Math.min(max, retryAfterMs));
}

/** A Retry-After header's value in ms (seconds, or an HTTP date); 0 when absent or unreadable. */
export function retryAfterMs(value: string | undefined, now = Date.now()): number {
  if (!value) return 0;
  if (/^\d+$/.test(value.trim())) return Number(value.trim()) * 1000;
  const date = Date.parse(value);
  return Number.isNaN(date) ? 0 : Math.max(0, date - now);
}
