/**
 * The `async:` settings of `funko.yml`: how the proxy delivers a funko's
 * asynchronous calls (`POST /async/funko/NAME/...`). Baked into the image
 * with the other settings, so the server that delivers reads them from there.
 *
 * @module
 */
import { z } from "zod";

/** `500ms`, `10s`, `2m`, `1h`: a delay between attempts. */
const DELAY_PATTERN = /^(\d+(ms|s|m|h))+$/;

/** Converts a delay (`1m30s`) to milliseconds. */
export function delayMs(delay: string): number {
  const units: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
  let total = 0;
  for (const [, amount, unit] of delay.matchAll(/(\d+)(ms|s|m|h)/g)) total += Number(amount) * (units[unit!] ?? 0);
  return total;
}

/** Converts a size (`1m`, `512k`, `2000`) to bytes. */
export function sizeBytes(size: string | number): number {
  if (typeof size === "number") return size;
  const match = /^(\d+(?:\.\d+)?)([kmg]?)b?$/i.exec(size.trim());
  if (!match) return NaN;
  const unit = { "": 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 }[match[2]!.toLowerCase() as "" | "k" | "m" | "g"];
  return Math.round(Number(match[1]) * unit);
}

const Delay = z.string().refine(
  (delay) => DELAY_PATTERN.test(delay) && delayMs(delay) >= 1,
  "use a duration of at least 1ms, such as 500ms, 10s or 2m",
);

/** The largest body an async call may carry (what the store keeps per call). */
export const MAX_ASYNC_BODY = 64 * 1024 ** 2;

const BodySize = z.union([z.string(), z.number().int()]).refine(
  (size) => sizeBytes(size) >= 0 && sizeBytes(size) <= MAX_ASYNC_BODY,
  "use a size such as 512k or 1m, at most 64m",
);

/** How asynchronous calls reach the funko. */
export const AsyncSettings = z.object({
  /** Attempts in all before a call is kept as failed (the first one included). */
  attempts: z.number().int().min(1).max(100).default(10),
  /** The wait after the first failed attempt; it doubles after each, up to `max_delay`. */
  min_delay: Delay.default("10s"),
  /** The longest wait between attempts. */
  max_delay: Delay.default("120s"),
  /** Calls delivered to the funko at once. */
  concurrency: z.number().int().min(1).max(1000).default(1),
  /** The largest request body accepted (413 beyond). */
  max_body: BodySize.default("1m"),
}).strict().refine((settings) => delayMs(settings.max_delay) >= delayMs(settings.min_delay), {
  message: "max_delay must not be shorter than min_delay",
  path: ["max_delay"],
});

/** Validated async settings. */
export type AsyncSettings = z.infer<typeof AsyncSettings>;

/** The defaults: 10 attempts, 10 s doubling to 120 s, one at a time, 1 MiB bodies. */
export const DEFAULT_ASYNC_SETTINGS: AsyncSettings = AsyncSettings.parse({});
