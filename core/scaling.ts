/**
 * How a funko grows, shrinks and sleeps: funko.yml's `scale` (a fixed number
 * of instances, or a range the proxy autoscales in), `concurrency` (the
 * requests in flight one instance is meant to take), `idle` (when a funko
 * with min 0 is paused, then stopped) and `hold` (how requests wait while no
 * instance is ready). Baked into the image with the other settings; the
 * defaults keep a funko at its fixed scale, never asleep.
 *
 * @module
 */
import { z } from "zod";
import { Duration, durationMs } from "./duration.ts";

/** The most instances of one funko FaaSO runs. */
export const MAX_SCALE = 100;

/** The autoscaler's stable window unless `scale.window` says otherwise (its panic window is a tenth of it). */
export const DEFAULT_WINDOW = "60s";

/** The instances a funko runs: exactly `min` when it equals `max`, else what the autoscaler decides between them. */
export const ScaleRange = z.object({
  /** The fewest; 0 lets the funko sleep when idle. */
  min: z.number().int().min(0).max(MAX_SCALE),
  /** The most. */
  max: z.number().int().min(1).max(MAX_SCALE),
  /** How far back the autoscaler averages the requests in flight (6s to 1h; its panic window is a tenth). */
  window: Duration.refine(
    (window) => durationMs(window) >= 6000 && durationMs(window) <= 3_600_000,
    "use a duration from 6s to 1h",
  ).optional(),
  /**
   * Warm spares: instances started, probed and kept paused (memory held, no
   * CPU) for the autoscaler to take in one unpause instead of a start of
   * seconds. At most `max - min`; only for an autoscaled funko.
   */
  warm: z.number().int().min(0).max(MAX_SCALE).optional(),
}).strict()
  .refine((range) => range.min <= range.max, { message: "must not be below min", path: ["max"] })
  .refine((range) => range.min > range.max || (range.warm ?? 0) <= range.max - range.min, {
    message: "must not be above max - min (a warm spare stands in for an instance the autoscaler may add)",
    path: ["warm"],
  });

/** A validated scale range. */
export type ScaleRange = z.infer<typeof ScaleRange>;

const SCALE_RULE = `use a number of instances from 1 to ${MAX_SCALE} (scale: 2), or a range ` +
  "(scale: {min: 0, max: 8}) for autoscaling";

/** `scale: N` (fixed) or `scale: {min, max}` (autoscaled), always read as a range. */
export const Scale = z.unknown().transform((value, ctx): ScaleRange => {
  if (typeof value === "number") {
    if (Number.isInteger(value) && value >= 1 && value <= MAX_SCALE) return { min: value, max: value };
    ctx.issues.push({ code: "custom", message: `${SCALE_RULE}, not ${value}`, input: value });
    return z.NEVER;
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    ctx.issues.push({ code: "custom", message: `${SCALE_RULE}, not ${JSON.stringify(value)}`, input: value });
    return z.NEVER;
  }
  const parsed = ScaleRange.safeParse(value, { reportInput: true });
  if (parsed.success) return parsed.data;
  // As they are: formatIssues tells a wrong type from a missing value by their input.
  for (const issue of parsed.error.issues) ctx.issues.push(issue as (typeof ctx.issues)[number]);
  return z.NEVER;
});

/** `30m`, or `never`. */
const DurationOrNever = z.string().refine(
  (text) => text === "never" || Duration.safeParse(text).success,
  "use a duration such as 30m or 1h, or never",
);

/** When a funko with `scale.min` 0 sleeps: paused after `pause_after` with no request in flight, stopped after `stop_after` more. */
export const IdleSettings = z.object({
  /** No request in flight this long: its instances are paused (no CPU, memory kept). */
  pause_after: Duration.default("5m"),
  /** Paused this long: they are stopped (memory freed; a wake then starts one); `never` keeps them paused. */
  stop_after: DurationOrNever.default("30m"),
}).strict();

/** Validated idle settings. */
export type IdleSettings = z.infer<typeof IdleSettings>;

/** How requests wait while no instance is ready (a wake, a cold start). */
export const HoldSettings = z.object({
  /** Requests held at once; more get 503 with Retry-After. */
  queue: z.number().int().min(1).max(100_000).default(1000),
  /** How long one request is held before it gets 503. */
  timeout: Duration.default("30s"),
}).strict();

/** Validated hold settings. */
export type HoldSettings = z.infer<typeof HoldSettings>;

/** The scaling part of a funko's settings. */
export interface ScalingSettings {
  scale: ScaleRange;
  concurrency: number;
  idle?: IdleSettings;
  hold: HoldSettings;
}

/** The default requests in flight per instance the autoscaler aims at (before its 70 % margin). */
export const DEFAULT_CONCURRENCY = 100;

/** The share of `concurrency` the autoscaler fills before it adds an instance. */
export const TARGET_UTILIZATION = 0.7;

/** The autoscaler's stable and panic windows for the funko, in milliseconds. */
export function windowsOf(settings: Pick<ScalingSettings, "scale">): { stableMs: number; panicMs: number } {
  const stableMs = durationMs(settings.scale.window ?? DEFAULT_WINDOW);
  return { stableMs, panicMs: stableMs / 10 };
}

/** Whether the proxy autoscales the funko (a range, not a fixed number). */
export function autoscales(settings: ScalingSettings): boolean {
  return settings.scale.min < settings.scale.max;
}

/** How many warm spares the funko keeps (paused, for the autoscaler to take): `scale.warm`, 0 when not autoscaled. */
export function warmOf(settings: Pick<ScalingSettings, "scale">): number {
  return settings.scale.min < settings.scale.max ? settings.scale.warm ?? 0 : 0;
}

/** What idle means for the funko in milliseconds; null when it never sleeps (`scale.min` above 0). */
export function idleOf(settings: ScalingSettings): { pauseAfterMs: number; stopAfterMs: number | null } | null {
  if (settings.scale.min > 0) return null;
  const idle = settings.idle ?? IdleSettings.parse({});
  return {
    pauseAfterMs: durationMs(idle.pause_after),
    stopAfterMs: idle.stop_after === "never" ? null : durationMs(idle.stop_after),
  };
}

/** How many instances `faaso up` and a first deploy start: the fixed scale, or min (at least 1). */
export function initialScale(settings: Pick<ScalingSettings, "scale">): number {
  return Math.max(settings.scale.min, 1);
}

/** The scale in words: "2", "0 to 8". */
export function scaleText(scale: ScaleRange): string {
  return scale.min === scale.max ? String(scale.min) : `${scale.min} to ${scale.max}`;
}

/**
 * The scaling settings in a sentence, for status and the UI: "fixed at 2",
 * "autoscaled 1 to 8 at 20 requests in flight per instance", and for min 0
 * "; paused after 5m idle, stopped after 30m more".
 */
export function describeScaling(settings: ScalingSettings): string {
  const { scale } = settings;
  let text = autoscales(settings)
    ? `autoscaled ${scaleText(scale)} at ${settings.concurrency} requests in flight per instance over ` +
      (scale.window ?? DEFAULT_WINDOW)
    : `fixed at ${scale.min}`;
  const warm = warmOf(settings);
  if (warm > 0) text += `; ${warm} warm ${warm === 1 ? "spare" : "spares"} kept paused`;
  const idle = settings.scale.min === 0 ? settings.idle ?? IdleSettings.parse({}) : undefined;
  if (idle) {
    text += `; paused after ${idle.pause_after} idle, ` +
      (idle.stop_after === "never" ? "never stopped" : `stopped after ${idle.stop_after} more`);
  }
  return `${text}; requests wait up to ${settings.hold.timeout} for an instance, ${settings.hold.queue} at most`;
}
