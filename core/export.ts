/**
 * `faaso export`: a funko as a standalone folder, its runtime merged and its
 * templates rendered, with a plain Dockerfile and a compose.yaml. `docker
 * build` and `docker compose up` work on it without FaaSO: no lock-in.
 *
 * @module
 */
import { join, resolve } from "node:path";
import { writeContext, type WrittenContext } from "./context.ts";
import { FaasoError } from "./errors.ts";
import { loadFunko } from "./funko.ts";
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
 * not exist or be empty: nothing of the user's is overwritten.
 */
export async function exportFunko(folder: string, dest?: string): Promise<ExportResult> {
  const funko = await loadFunko(folder);
  const target = resolve(dest ?? `${funko.name}-export`);
  await ensureEmptyFolder(target);
  let context: WrittenContext;
  try {
    context = await writeContext(funko, target);
    const compose = join(target, "compose.yaml");
    if (!context.files.some((file) => file.relative === "compose.yaml")) {
      await Deno.writeTextFile(compose, composeFile(funko.name, context.runtime?.name ?? ""));
    }
  } catch (error) {
    await Deno.remove(target, { recursive: true }).catch(() => {});
    throw error;
  }
  const files = [...context.files.map((file) => file.relative), "compose.yaml"];
  return { funko: funko.name, dest: target, files: [...new Set(files)].sort() };
}

/** The compose.yaml of an exported funko. */
export function composeFile(name: string, runtime: string): string {
  return `# ${name}, exported by FaaSO ${VERSION}${runtime ? ` from the ${runtime} runtime` : ""}.
# Nothing here needs FaaSO:
#   docker build -t ${exportTag(name)} .   then   docker run -p 3000:3000 ${exportTag(name)}
#   or: docker compose up --build
# (Not tagged faaso-${name}: that repository is FaaSO's, and faaso-${name}:latest is what faaso up runs.)
services:
  ${name}:
    build: .
    image: ${exportTag(name)}:latest
    hostname: ${name}
    restart: unless-stopped
    ports:
      - "3000:3000"
`;
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
