/**
 * Runtimes: folders that supply everything a funko does not, the app skeleton,
 * a Dockerfile template, and `template/` (what `faaso new` copies).
 *
 * @module
 */
import { isAbsolute, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { FaasoError, notFound } from "./errors.ts";

/** Where the runtimes shipped with FaaSO live (embedded by `deno compile --include`). */
export const BUILTIN_RUNTIMES = fileURLToPath(new URL("../runtimes/", import.meta.url));

/** A runtime folder. */
export interface Runtime {
  /** The name used in funko.yml (`deno`), or the path as given. */
  name: string;
  /** Absolute path of the runtime folder. */
  folder: string;
  /** The first line of its README.md, without the leading `#`. */
  title: string;
}

/** Lists the built-in runtimes, sorted by name. */
export async function listRuntimes(): Promise<Runtime[]> {
  const runtimes: Runtime[] = [];
  for await (const entry of Deno.readDir(BUILTIN_RUNTIMES)) {
    if (!entry.isDirectory) continue;
    const folder = join(BUILTIN_RUNTIMES, entry.name);
    runtimes.push({ name: entry.name, folder, title: await readTitle(folder) });
  }
  return runtimes.sort((a, b) => a.name.localeCompare(b.name));
}

/**
 * Finds a runtime by name (`deno`) or by path (`./my-runtime`, `/opt/rt`).
 * A path is relative to `base` (a funko's folder, or the current folder).
 */
export async function resolveRuntime(nameOrPath: string, base = "."): Promise<Runtime> {
  const byPath = isRuntimePath(nameOrPath);
  const folder = byPath
    ? (isAbsolute(nameOrPath) ? nameOrPath : resolve(base, nameOrPath))
    : join(BUILTIN_RUNTIMES, nameOrPath);
  let isDirectory = false;
  try {
    isDirectory = (await Deno.stat(folder)).isDirectory;
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
  }
  if (!isDirectory) {
    if (byPath) throw notFound(`Runtime folder ${nameOrPath} not found`);
    const known = (await listRuntimes()).map((r) => r.name).join(", ");
    throw notFound(`Unknown runtime ${nameOrPath}: the runtimes are ${known} (or give a runtime folder's path)`);
  }
  if (!await hasDockerfileTemplate(folder)) {
    throw new FaasoError(`Runtime ${nameOrPath} has no Dockerfile.j2 or Dockerfile: ${folder} is not a runtime folder`);
  }
  return { name: nameOrPath, folder, title: await readTitle(folder) };
}

/** True when `runtime:` (or `-r`) names a runtime folder by its path rather than a shipped runtime by name. */
export function isRuntimePath(nameOrPath: string): boolean {
  return nameOrPath.includes("/") || nameOrPath.startsWith(".");
}

async function hasDockerfileTemplate(folder: string): Promise<boolean> {
  for (const name of ["Dockerfile.j2", "Dockerfile"]) {
    try {
      await Deno.stat(join(folder, name));
      return true;
    } catch {
      // Try the next name.
    }
  }
  return false;
}

async function readTitle(folder: string): Promise<string> {
  try {
    const text = await Deno.readTextFile(join(folder, "README.md"));
    return text.split("\n")[0]?.replace(/^#+\s*/, "").trim() ?? "";
  } catch {
    return "";
  }
}
