/**
 * `faaso new -r RUNTIME NAME`: a new funko folder from a runtime's template.
 *
 * @module
 */
import { basename, join, resolve } from "node:path";
import { writeTemplate } from "./context.ts";
import { FaasoError } from "./errors.ts";
import { FunkoName, MANIFEST } from "./manifest.ts";
import { resolveRuntime } from "./runtime.ts";

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
    const files = await writeTemplate(runtime, folder, { name, runtime: runtimeName, options: {} });
    if (!files.includes(MANIFEST)) {
      await Deno.writeTextFile(join(folder, MANIFEST), `name: ${name}\nruntime: ${runtimeName}\noptions: {}\n`);
      files.push(MANIFEST);
    }
    return { name, folder, files: files.sort() };
  } catch (error) {
    await Deno.remove(folder, { recursive: true }).catch(() => {});
    throw error;
  }
}
