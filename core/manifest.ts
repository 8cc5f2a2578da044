/**
 * The schema of `funko.yml` and of the settings it carries into images
 * (zod), with the conversions Docker needs. No file access here: the server
 * and `faaso status` use it without loading any YAML.
 *
 * @module
 */
import { z } from "zod";
import { isImageReference } from "../docker/images.ts";
export { readyWhen } from "./words.ts";
import { FUNKO_NAME_PATTERN, FUNKO_NAME_RULE, LABELS } from "./names.ts";
import { AsyncSettings, DEFAULT_ASYNC_SETTINGS } from "./async_settings.ts";
import { Schedule } from "./schedule.ts";

/** The name of the file that makes a folder a funko. */
export const MANIFEST = "funko.yml";

/** A Go-style duration as Docker takes it: `500ms`, `5s`, `1m30s`. */
const Duration = z.string().regex(
  /^(\d+(ms|s|m|h))+$/,
  // abort: a text that is no duration at all gets this one message, not also "at least 1ms".
  { message: "use a duration such as 500ms, 5s, 1m or 1m30s", abort: true },
).refine((duration) => durationToNanos(duration) >= 1e6, "use a duration of at least 1ms");

/** Validates a funko name (see {@linkcode FUNKO_NAME_RULE}). */
export const FunkoName = z.string().regex(FUNKO_NAME_PATTERN, FUNKO_NAME_RULE);

/** How Docker checks that an instance is healthy. */
export const Healthcheck = z.object({
  /** A shell command; exit 0 means healthy. Default: the runtime's GET /ping check. */
  command: z.string().min(1).optional(),
  /** Time between checks. */
  interval: Duration.default("5s"),
  /** How long one check may take. */
  timeout: Duration.default("3s"),
  /** Failures in this time after start do not count. */
  start_period: Duration.default("30s"),
  /** Failures in a row before the instance is unhealthy. */
  retries: z.number().int().min(1).max(100).default(3),
}).strict();

/** The port the shipped runtimes listen on, and a funko's port unless it names one. */
export const DEFAULT_PORT = 3000;

/** The health path of the shipped runtimes. */
export const RUNTIME_HEALTH = "/ping";

/** The port a funko's app listens on inside its container. */
const Port = z.custom<number>(
  (value) => Number.isInteger(value) && (value as number) >= 1 && (value as number) <= 65535,
  "use a port number from 1 to 65535",
);

/**
 * How FaaSO tells that an instance is ready for requests: an HTTP path whose
 * GET answers 2xx or 3xx, or `none` (ready once it accepts connections on its
 * port). Docker's own healthcheck, when the image has one, is judged besides.
 */
export const HealthTarget = z.string().regex(
  /^(none|\/[\x21-\x7e]*)$/,
  "use an HTTP path such as /healthz, or none (ready once the port accepts connections)",
);

/** A Docker image reference: `nginx:1.27`, `registry.example.com/team/app:1.4`, `app@sha256:...`. */
export const ImageReference = z.string().refine(
  isImageReference,
  "use an image reference such as nginx:1.27, registry.example.com/team/app:1.4 or app@sha256:...",
);

/** A memory size as Docker takes it: `256m`, `1g`, `512000k`. */
const MemorySize = z.string().regex(/^\d+(\.\d+)?[bkmg]?$/i, { message: "use a size such as 256m or 1g", abort: true })
  .refine(
    (size) => memoryToBytes(size) >= 6 * 1024 * 1024,
    "Docker needs at least 6m",
  );

/** The most instances of one funko FaaSO runs. */
export const MAX_SCALE = 100;

/** Variables FaaSO sets itself in every instance. */
const RESERVED_ENV = new Set(["FAASO_FUNKO", "FAASO_INSTANCE"]);

/** Environment variables: names as shells take them; numbers and booleans become text. */
const Env = z.record(
  z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, "use letters, digits and '_', not starting with a digit").refine(
    (name) => !RESERVED_ENV.has(name),
    "FaaSO sets this one itself",
  ),
  z.union([z.string(), z.number(), z.boolean()]).transform(String),
);

/**
 * How instances run: what `faaso build` bakes into the image (label
 * `faaso.settings`), so that any FaaSO, local or server, applies the same.
 */
export const FunkoSettings = z.object({
  /** Environment variables of every instance. */
  env: Env.default({}),
  /** Memory limit of each instance. */
  memory: MemorySize.optional(),
  /** CPU limit of each instance, in CPUs (0.5 = half of one). */
  cpus: z.number().positive().max(256).optional(),
  /** How many instances `faaso up` starts. */
  scale: z.number().int().min(1).max(MAX_SCALE).default(1),
  /** How long instances being replaced keep finishing their requests. */
  drain: Duration.default("10s"),
  /** The instance healthcheck. */
  healthcheck: Healthcheck.default(Healthcheck.parse({})),
  /** How asynchronous calls are delivered: attempts, delays, concurrency, body limit. */
  async: AsyncSettings.default(DEFAULT_ASYNC_SETTINGS),
  /** Requests the proxy makes on a schedule. */
  schedule: Schedule.default([]),
  /** The port the app listens on: where the proxy sends requests. */
  port: Port.default(DEFAULT_PORT),
  /** FaaSO's readiness check: an HTTP path, or `none` for the port's acceptance. */
  health: HealthTarget.default("none"),
});

/** Validated settings. */
export type FunkoSettings = z.infer<typeof FunkoSettings>;

/**
 * The schema of `funko.yml`. A funko is made one of three ways: from a
 * runtime (`runtime:`), from its own Dockerfile (neither), or from an image
 * that exists already (`image:`).
 */
export const FunkoManifest = z.object({
  /** The funko's name: its image is `faaso-NAME`, its URL `/funko/NAME/`. */
  name: FunkoName,
  /** A runtime name (`deno`) or a path to a runtime folder; omit it when the funko has its own Dockerfile. */
  runtime: z.string().min(1).optional(),
  /** An image to run as it is, instead of building code: `registry.example.com/team/app:1.4`. */
  image: ImageReference.optional(),
  /** Runtime-specific settings, passed to its templates. */
  options: z.record(z.string(), z.unknown()).default({}),
  ...FunkoSettings.shape,
  // Unset here (not defaulted) so that they can be refused beside a runtime, which decides them.
  port: Port.optional(),
  health: HealthTarget.optional(),
}).strict().superRefine((manifest, ctx) => {
  if (manifest.image !== undefined && manifest.runtime !== undefined) {
    ctx.addIssue({
      code: "custom",
      path: ["image"],
      message: "name either an image (to run it as it is) or a runtime (to build code), not both",
    });
  }
  if (manifest.image !== undefined && Object.keys(manifest.options).length > 0) {
    ctx.addIssue({ code: "custom", path: ["options"], message: "options belong to runtimes; an image funko has none" });
  }
  if (manifest.runtime !== undefined) {
    for (const field of ["port", "health"] as const) {
      if (manifest[field] === undefined) continue;
      ctx.addIssue({
        code: "custom",
        path: [field],
        message: `the runtime decides it (the shipped ones: port ${DEFAULT_PORT}, health ${RUNTIME_HEALTH}); ` +
          "port and health are for funkos with an image: or a Dockerfile of their own",
      });
    }
  }
});

/** A validated `funko.yml`. */
export type FunkoManifest = z.infer<typeof FunkoManifest>;

/**
 * Turns zod issues into "field: problem; other.field: problem". Parse with
 * `{ reportInput: true }` so that a value of the wrong type is told from a
 * missing one (`scale: expected a number, got "two"`, `name: is required`).
 */
export function formatIssues(error: z.ZodError): string {
  return error.issues.map((issue) => {
    if (issue.code === "unrecognized_keys") {
      const where = issue.path.length ? `${issue.path.join(".")}: ` : "";
      return `${where}unknown field${issue.keys.length > 1 ? "s" : ""} ${issue.keys.join(", ")}`;
    }
    const where = issue.path.length ? issue.path.join(".") : "value";
    if (issue.code === "invalid_key") {
      return `${where}: ${issue.issues.map((inner) => inner.message).join("; ")}`;
    }
    if (issue.code === "invalid_type" && "input" in issue) {
      if (issue.input === undefined) return `${where}: is required`;
      return `${where}: expected ${article(issue.expected)}, got ${JSON.stringify(issue.input) ?? String(issue.input)}`;
    }
    return `${where}: ${issue.message}`;
  }).join("; ");
}

/** "a number", "an object": how a type is said in a sentence. */
function article(type: string): string {
  return `${/^[aeiou]/.test(type) ? "an" : "a"} ${type === "record" ? "map" : type}`;
}

/**
 * The settings a build baked into an image (label `faaso.settings`); defaults
 * when the image has none (built by hand, or by an older FaaSO).
 */
export function settingsFromLabels(labels: Record<string, string> | null | undefined): FunkoSettings {
  const text = labels?.[LABELS.settings];
  if (text) {
    try {
      const parsed = FunkoSettings.safeParse(JSON.parse(text));
      if (parsed.success) return parsed.data;
    } catch {
      // Not JSON: use the defaults.
    }
  }
  return FunkoSettings.parse({});
}

/** Converts a memory size (`256m`) to bytes. */
export function memoryToBytes(size: string): number {
  const units: Record<string, number> = { b: 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 };
  const match = /^(\d+(?:\.\d+)?)([bkmg]?)$/i.exec(size);
  if (!match) return NaN;
  return Math.round(Number(match[1]) * (units[(match[2] || "b").toLowerCase()] ?? 1));
}

/**
 * The settings part of a manifest. A runtime funko is checked at the
 * runtime's port and `GET /ping`; any other at its `port` (3000 unless set),
 * by its `health` path or, without one, by the port accepting connections.
 */
export function settingsOf(manifest: FunkoManifest): FunkoSettings {
  const { env, memory, cpus, scale, drain, healthcheck } = manifest;
  const port = manifest.port ?? DEFAULT_PORT;
  const health = manifest.health ?? (manifest.runtime !== undefined ? RUNTIME_HEALTH : "none");
  return {
    env,
    scale,
    drain,
    healthcheck,
    port,
    health,
    async: manifest.async,
    schedule: manifest.schedule,
    ...(memory ? { memory } : {}),
    ...(cpus ? { cpus } : {}),
  };
}

/** The HTTP path of a health setting, or null for `none` (the port's acceptance). */
export function healthPath(health: string): string | null {
  return health.startsWith("/") ? health : null;
}

/** How long retiring instances get to finish, in milliseconds. */
export function drainMs(settings: FunkoSettings): number {
  return durationToNanos(settings.drain) / 1e6;
}

/** Converts a Docker duration (`1m30s`) to nanoseconds, as the Engine API takes them. */
export function durationToNanos(duration: string): number {
  const units: Record<string, number> = { ms: 1e6, s: 1e9, m: 60e9, h: 3600e9 };
  let total = 0;
  for (const [, amount, unit] of duration.matchAll(/(\d+)(ms|s|m|h)/g)) {
    total += Number(amount) * (units[unit ?? "s"] ?? 0);
  }
  return total;
}
