/**
 * `faaso export`: a funko as a standalone folder, its runtime merged and its
 * templates rendered, with a plain Dockerfile and a compose.yaml. `docker
 * build` and `docker compose up` work on it without FaaSO: no lock-in. An
 * image funko becomes a compose.yaml that runs its image.
 *
 * @module
 */
import { join, resolve } from "node:path";
import { Scalar, stringify as stringifyYaml } from "yaml";
import { writeContext } from "./context.ts";
import { FaasoError } from "./errors.ts";
import { loadFunko } from "./funko.ts";
import { type FunkoSettings, settingsOf } from "./manifest.ts";
import { exportTag } from "./names.ts";
import { VERSION } from "./version.ts";

/** What `export` wrote. */
export interface ExportResult {
  /** The funko. */
  funko: string;
  /** The folder written. */
  dest: string;
  /** The files in it, relative to it. */
  files: string[];
}

/**
 * Writes the funko in `folder` to `dest` (default `./NAME-export`), which must
 * not exist or be empty: nothing of the user's is overwritten. An image
 * funko's export is a compose.yaml that runs its image.
 */
export async function exportFunko(folder: string, dest?: string): Promise<ExportResult> {
  const funko = await loadFunko(folder);
  const target = resolve(dest ?? `${funko.name}-export`);
  await ensureEmptyFolder(target);
  const files: string[] = ["compose.yaml"];
  try {
    let runtime = "";
    if (!funko.image) {
      const context = await writeContext(funko, target);
      runtime = context.runtime?.name ?? "";
      files.push(...context.files.map((file) => file.relative));
    }
    if (!files.slice(1).includes("compose.yaml")) {
      await Deno.writeTextFile(
        join(target, "compose.yaml"),
        composeFile(funko.name, settingsOf(funko), {
          runtime,
          image: funko.image,
        }),
      );
    }
  } catch (error) {
    await Deno.remove(target, { recursive: true }).catch(() => {});
    throw error;
  }
  return { funko: funko.name, dest: target, files: [...new Set(files)].sort() };
}

/** Where an exported funko's image comes from. */
export interface ComposeSource {
  /** The runtime merged into the folder, if any. */
  runtime?: string;
  /** The image an image funko runs; without it the folder is built. */
  image?: string;
}

/**
 * The compose.yaml of an exported funko: its image (built from the folder, or
 * the image funko's own), its port published, and the settings FaaSO would
 * apply: environment, limits, Docker healthcheck command.
 */
export function composeFile(name: string, settings: FunkoSettings, source: ComposeSource = {}): string {
  const health = settings.healthcheck;
  const service: Record<string, unknown> = {
    ...(source.image ? { image: source.image } : { build: ".", image: `${exportTag(name)}:latest` }),
    hostname: name,
    restart: "unless-stopped",
    // Quoted: YAML 1.1 (older compose) reads 22:22 as a number in base 60.
    ports: [quoted(`${settings.port}:${settings.port}`)],
    ...(Object.keys(settings.env).length ? { environment: mapValues(settings.env, literal) } : {}),
    ...(settings.memory ? { mem_limit: settings.memory } : {}),
    ...(settings.cpus ? { cpus: settings.cpus } : {}),
    ...(health.command
      ? {
        healthcheck: {
          test: ["CMD-SHELL", literal(health.command)],
          interval: health.interval,
          timeout: health.timeout,
          start_period: health.start_period,
          retries: health.retries,
        },
      }
      : {}),
  };
  const from = source.image
    ? ` from the image ${source.image}`
    : source.runtime
    ? ` from the ${source.runtime} runtime`
    : "";
  const run = source.image
    ? `#   docker compose up   (or: docker run -p ${settings.port}:${settings.port} ${source.image})`
    : `#   docker build -t ${exportTag(name)} .   then   docker run -p ${settings.port}:${settings.port} ${
      exportTag(name)
    }\n#   or: docker compose up --build`;
  const probe = settings.health.startsWith("/")
    ? `# FaaSO sends it requests once GET ${settings.health} answers 2xx or 3xx.\n`
    : "";
  return `# ${name}, exported by FaaSO ${VERSION}${from}.
# Nothing here needs FaaSO:
${run}
# (Not tagged faaso-${name}: that repository is FaaSO's, and faaso-${name}:latest is what faaso up runs.)
${probe}# FaaSO mounts the funko's secrets read-only at /secrets: add a volume such as ./secrets:/secrets:ro.
${stringifyYaml({ services: { [name]: service } })}`;
}

function quoted(text: string): Scalar {
  const scalar = new Scalar(text);
  scalar.type = "QUOTE_DOUBLE";
  return scalar;
}

/** A value compose takes literally: it interpolates `$VAR` everywhere, and `$$` is a `$`. */
function literal(text: string): string {
  return text.replaceAll("$", "$$$$");
}

function mapValues(record: Record<string, string>, change: (value: string) => string): Record<string, string> {
  return Object.fromEntries(Object.entries(record).map(([key, value]) => [key, change(value)]));
}

async function ensureEmptyFolder(path: string): Promise<void> {
  try {
    const info = await Deno.stat(path);
    if (!info.isDirectory) throw new FaasoError(`Cannot export to ${path}: it is a file`);
    for await (const _ of Deno.readDir(path)) {
      throw new FaasoError(`Cannot export to ${path}: the folder is not empty (choose another or empty it)`);
    }
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
    await Deno.mkdir(path, { recursive: true });
  }
}
