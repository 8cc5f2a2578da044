/**
 * `faaso new -r RUNTIME NAME`: a new funko folder from a runtime's template;
 * `faaso new NAME --image REF`: a funko that runs an image as it is.
 *
 * @module
 */
import { basename, isAbsolute, join, relative, resolve } from "node:path";
import { writeTemplate } from "./context.ts";
import { FaasoError } from "./errors.ts";
import { parseManifest } from "./funko.ts";
import type { z } from "zod";
import { FunkoName, HealthTarget, ImageReference, MANIFEST } from "./manifest.ts";
import { isRuntimePath, resolveRuntime } from "./runtime.ts";

/** What `new` created. */
export interface NewFunkoResult {
  /** The funko's name. */
  name: string;
  /** The folder created. */
  folder: string;
  /** Files written, relative to the folder. */
  files: string[];
}

/**
 * Creates the folder `path` (its base name is the funko's name) from the
 * runtime's `template/`. Refuses a folder that already exists.
 */
export async function newFunko(runtimeName: string, path: string): Promise<NewFunkoResult> {
  const name = basename(resolve(path));
  const parsed = FunkoName.safeParse(name);
  if (!parsed.success) {
    throw new FaasoError(`Cannot create the funko ${name}: name: ${parsed.error.issues[0]?.message}`);
  }
  const runtime = await resolveRuntime(runtimeName);
  // funko.yml names a runtime folder relative to the funko (as the build resolves it), not to where new ran.
  const reference = isRuntimePath(runtimeName) && !isAbsolute(runtimeName)
    ? relative(resolve(path), runtime.folder)
    : runtimeName;
  return await createFolder(name, path, async (folder) => {
    const files = await writeTemplate(runtime, folder, { name, runtime: reference, options: {} });
    if (!files.includes(MANIFEST)) {
      await Deno.writeTextFile(join(folder, MANIFEST), `name: ${name}\nruntime: ${reference}\noptions: {}\n`);
      files.push(MANIFEST);
    }
    return files;
  });
}

/** Makes the folder `path` (refusing one that exists) and fills it; on any failure it is removed again. */
async function createFolder(
  name: string,
  path: string,
  fill: (folder: string) => Promise<string[]>,
): Promise<NewFunkoResult> {
  const folder = resolve(path);
  try {
    await Deno.mkdir(folder);
  } catch (error) {
    if (error instanceof Deno.errors.AlreadyExists) {
      throw new FaasoError(`Cannot create the funko ${name}: ${path} already exists`);
    }
    throw error;
  }
  try {
    return { name, folder, files: (await fill(folder)).sort() };
  } catch (error) {
    await Deno.remove(folder, { recursive: true }).catch(() => {});
    throw error;
  }
}

/** What an image funko's funko.yml says: `faaso new NAME --image REF --port 8080 --health /healthz`. */
export interface ImageFunkoOptions {
  /** The image reference. */
  image: string;
  /** The port its app listens on. Default 3000. */
  port?: number;
  /** Its health path, or `none`. Default `none`. */
  health?: string;
}

/**
 * Creates the folder `path` with only a funko.yml that runs `options.image`.
 * The file is checked as `faaso build` would check it before anything is
 * written, so a bad reference or port leaves nothing behind.
 */
export async function newImageFunko(path: string, options: ImageFunkoOptions): Promise<NewFunkoResult> {
  const name = basename(resolve(path));
  const checks: [string, string | undefined, z.ZodType][] = [
    ["name:", name, FunkoName],
    ["--image", options.image, ImageReference],
    ["--health", options.health, HealthTarget],
  ];
  for (const [what, value, schema] of checks) {
    if (value === undefined) continue;
    const parsed = schema.safeParse(value);
    if (!parsed.success) {
      const shown = what.endsWith(":") ? what : `${what} ${value}:`;
      throw new FaasoError(`Cannot create the funko ${name}: ${shown} ${parsed.error.issues[0]?.message}`);
    }
  }
  const text = imageManifest(name, options);
  parseManifest(text, `${name}/${MANIFEST}`);
  return await createFolder(name, path, async (folder) => {
    await Deno.writeTextFile(join(folder, MANIFEST), text);
    return [MANIFEST];
  });
}

/** The funko.yml of an image funko, with comments that say what each line does. */
export function imageManifest(name: string, options: ImageFunkoOptions): string {
  const health = options.health ?? "none";
  return [
    `name: ${JSON.stringify(name)}`,
    "# The image to run as it is: the engine's own copy, else pulled (faaso build --pull refreshes it).",
    `image: ${JSON.stringify(options.image)}`,
    "# The port its app listens on inside the container: the proxy sends requests there.",
    `port: ${options.port ?? 3000}`,
    health === "none"
      ? "# Ready once the port accepts connections; or name an HTTP path that answers 2xx/3xx: health: /healthz"
      : "# Ready once GET of this path answers 2xx or 3xx; none: once the port accepts connections.",
    `health: ${JSON.stringify(health)}`,
    "",
  ].join("\n");
}
