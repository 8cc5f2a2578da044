/**
 * A funko: a folder with a `funko.yml`. This module reads and validates it.
 *
 * @module
 */
import { basename, join, resolve } from "node:path";
import { parse as parseYaml, YAMLParseError } from "yaml";
import { z } from "zod";
import { FaasoError } from "./errors.ts";
import { FUNKO_NAME_PATTERN, FUNKO_NAME_RULE } from "./names.ts";

/** The name of the file that makes a folder a funko. */
export const MANIFEST = "funko.yml";

/** A Go-style duration as Docker takes it: `500ms`, `5s`, `1m30s`. */
const Duration = z.string().regex(
  /^(\d+(ms|s|m|h))+$/,
  "use a duration such as 500ms, 5s, 1m or 1m30s",
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

/** A memory size as Docker takes it: `256m`, `1g`, `512000k`. */
const MemorySize = z.string().regex(/^\d+(\.\d+)?[bkmg]?$/i, "use a size such as 256m or 1g").refine(
  (size) => memoryToBytes(size) >= 6 * 1024 * 1024,
  "Docker needs at least 6m",
);

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
  scale: z.number().int().min(1).max(100).default(1),
  /** How long instances being replaced keep finishing their requests. */
  drain: Duration.default("10s"),
  /** The instance healthcheck. */
  healthcheck: Healthcheck.default(Healthcheck.parse({})),
});

/** Validated settings. */
export type FunkoSettings = z.infer<typeof FunkoSettings>;

/** The schema of `funko.yml`. */
export const FunkoManifest = z.object({
  /** The funko's name: its image is `faaso-NAME`, its URL `/funko/NAME/`. */
  name: FunkoName,
  /** A runtime name (`deno`) or a path to a runtime folder; omit it when the funko has its own Dockerfile. */
  runtime: z.string().min(1).optional(),
  /** Runtime-specific settings, passed to its templates. */
  options: z.record(z.string(), z.unknown()).default({}),
  ...FunkoSettings.shape,
}).strict();

/** A validated `funko.yml`. */
export type FunkoManifest = z.infer<typeof FunkoManifest>;

/** A funko read from disk. */
export interface Funko extends FunkoManifest {
  /** Absolute path of the funko's folder. */
  folder: string;
}

/**
 * Reads `FOLDER/funko.yml` and validates it. Errors name the file and the
 * field: `hello/funko.yml: name: use lowercase letters, ...`.
 */
export async function loadFunko(folder: string): Promise<Funko> {
  const absolute = resolve(folder);
  const shown = join(displayPath(folder), MANIFEST);
  let text: string;
  try {
    const info = await Deno.stat(absolute);
    if (!info.isDirectory) {
      throw new FaasoError(`${displayPath(folder)} is not a folder: a funko is a folder with a ${MANIFEST}`);
    }
    text = await Deno.readTextFile(join(absolute, MANIFEST));
  } catch (error) {
    if (error instanceof FaasoError) throw error;
    if (error instanceof Deno.errors.NotFound) {
      throw new FaasoError(`${shown} not found: a funko is a folder with a ${MANIFEST} (create one with faaso new)`, {
        status: 404,
        code: "not_found",
      });
    }
    throw new FaasoError(`Cannot read ${shown}: ${(error as Error).message}`, { cause: error });
  }
  return { ...parseManifest(text, shown), folder: absolute };
}

/** Parses and validates the text of a `funko.yml`; `file` is used in messages. */
export function parseManifest(text: string, file = MANIFEST): FunkoManifest {
  let data: unknown;
  try {
    data = parseYaml(text);
  } catch (error) {
    if (error instanceof YAMLParseError) {
      const where = error.linePos?.[0];
      const at = where ? `line ${where.line}, column ${where.col}: ` : "";
      throw new FaasoError(`${file}: ${at}${error.message.split("\n")[0]}`, { cause: error });
    }
    throw error;
  }
  if (data === null || typeof data !== "object" || Array.isArray(data)) {
    throw new FaasoError(`${file}: expected fields such as name: and runtime:, found ${describe(data)}`);
  }
  const result = FunkoManifest.safeParse(data);
  if (!result.success) throw new FaasoError(`${file}: ${formatIssues(result.error)}`);
  return result.data;
}

/** Turns zod issues into "field: problem; other.field: problem". */
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
    const message = issue.code === "invalid_type" && issue.input === undefined ? "is required" : issue.message;
    return `${where}: ${message}`;
  }).join("; ");
}

/**
 * The settings a build baked into an image (label `faaso.settings`); defaults
 * when the image has none (built by hand, or by an older FaaSO).
 */
export function settingsFromLabels(labels: Record<string, string> | null | undefined): FunkoSettings {
  const text = labels?.["faaso.settings"];
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

/** The settings part of a manifest. */
export function settingsOf(manifest: FunkoManifest): FunkoSettings {
  const { env, memory, cpus, scale, drain, healthcheck } = manifest;
  return { env, scale, drain, healthcheck, ...(memory ? { memory } : {}), ...(cpus ? { cpus } : {}) };
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

/** A folder as the user typed it, or its base name when they gave ".". */
export function displayPath(folder: string): string {
  const trimmed = folder.replace(/\/+$/, "");
  return trimmed === "" || trimmed === "." ? basename(resolve(folder)) : trimmed;
}

function describe(value: unknown): string {
  if (value === null || value === undefined) return "an empty file";
  if (Array.isArray(value)) return "a list";
  return `a ${typeof value}`;
}
