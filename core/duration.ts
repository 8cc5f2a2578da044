/**
 * Durations as funko.yml writes them and Docker takes them (Go style:
 * `500ms`, `5s`, `1m30s`), in a module of their own so that every settings
 * schema can use them.
 *
 * @module
 */
import { z } from "zod";

/** A Go-style duration as Docker takes it: `500ms`, `5s`, `1m`, `1m30s`, at least 1ms. */
export const Duration = z.string().regex(
  /^(\d+(ms|s|m|h))+$/,
  // abort: a text that is no duration at all gets this one message, not also "at least 1ms".
  { message: "use a duration such as 500ms, 5s, 1m or 1m30s", abort: true },
).refine((duration) => durationToNanos(duration) >= 1e6, "use a duration of at least 1ms");

/** Converts a Docker duration (`1m30s`) to nanoseconds, as the Engine API takes them. */
export function durationToNanos(duration: string): number {
  const units: Record<string, number> = { ms: 1e6, s: 1e9, m: 60e9, h: 3600e9 };
  let total = 0;
  for (const [, amount, unit] of duration.matchAll(/(\d+)(ms|s|m|h)/g)) {
    total += Number(amount) * (units[unit ?? "s"] ?? 0);
  }
  return total;
}

/** Converts a duration (`1m30s`) to milliseconds. */
export function durationMs(duration: string): number {
  return durationToNanos(duration) / 1e6;
}
