/**
 * The build context of a funko: its runtime's files and its own merged into
 * one folder (the funko's files win), `.j2` templates rendered. `faaso build`
 * writes it to a temporary folder, `faaso export` to the folder the user names.
 *
 * @module
 */
import { dirname, join, relative, resolve } from "node:path";
import nunjucks from "nunjucks";
import { ContextHash, type WalkedFile, walkFiles } from "./archive.ts";
import { FaasoError } from "./errors.ts";
import { displayPath, type Funko, MANIFEST } from "./funko.ts";
import { resolveRuntime, type Runtime } from "./runtime.ts";
import { checkOptions, OPTIONS_FILE, readRuntimeOptions } from "./runtime_options.ts";

/** Files of a runtime folder that describe it rather than go into images. */
const RUNTIME_ONLY = ["README.md", "template", OPTIONS_FILE];
/** Folders never copied from a funko. */
const NEVER_COPIED = [".git"];
/** The suffix of files rendered with nunjucks. */
const TEMPLATE_SUFFIX = ".j2";

/** What goes into templates: `{{ name }}`, `{{ options.x }}`, ... */
export interface TemplateVariables {
  name: string;
  runtime: string;
  options: Record<string, unknown>;
  [key: string]: unknown;
}

/** Options for {@linkcode writeContext}. */
export interface ContextOptions {
  /** Use the funko folder as it is, ignoring its runtime. */
  noRuntime?: boolean;
}

/** A build context written to disk. */
export interface WrittenContext {
  /** The funko (its name possibly overridden). */
  funko: Funko;
  /** The runtime merged in, if any. */
  runtime?: Runtime;
  /** The files written, sorted. */
  files: WalkedFile[];
  /** SHA-256 of the context: paths, modes and contents. */
  hash: string;
}

/**
 * Merges `funko`'s runtime and folder into `dest` (which must exist and be
 * empty), rendering `.j2` files. Throws when the result has no Dockerfile.
 */
export async function writeContext(
  funko: Funko,
  dest: string,
  options: ContextOptions = {},
): Promise<WrittenContext> {
  const runtime = funko.runtime && !options.noRuntime ? await resolveRuntime(funko.runtime, funko.folder) : undefined;
  const declared = runtime ? await readRuntimeOptions(runtime.folder) : undefined;
  const manifest = funko.manifest ?? join(funko.folder, MANIFEST);
  const variables: TemplateVariables = {
    name: funko.name,
    runtime: funko.runtime ?? "",
    options: declared ? checkOptions(funko.options, declared, runtime!.name, manifest) : funko.options,
    healthcheck: funko.healthcheck,
  };
  // Target path -> source; the funko's files are added last so they win.
  const sources = new Map<string, WalkedFile>();
  if (runtime) {
    for (const file of await walkFiles(runtime.folder, { skipPaths: RUNTIME_ONLY })) {
      sources.set(targetPath(file.relative), file);
    }
  }
  const destAbsolute = resolve(dest);
  const skipPaths = isInside(destAbsolute, funko.folder) ? [relative(funko.folder, destAbsolute)] : [];
  for (const file of await walkFiles(funko.folder, { skipNames: NEVER_COPIED, skipPaths })) {
    sources.set(targetPath(file.relative), file);
  }
  if (!sources.has("Dockerfile")) {
    throw new FaasoError(
      `Cannot build ${funko.name}: no Dockerfile. Name a runtime in ${displayPath(funko.folder)}/${MANIFEST}, ` +
        "or add a Dockerfile to the funko",
    );
  }
  for (const [target, source] of [...sources].sort(([a], [b]) => a < b ? -1 : 1)) {
    const path = join(destAbsolute, target);
    await Deno.mkdir(dirname(path), { recursive: true });
    if (source.relative.endsWith(TEMPLATE_SUFFIX)) {
      const text = renderTemplate(await Deno.readTextFile(source.path), variables, source.path);
      await Deno.writeTextFile(path, text, { mode: source.mode });
    } else {
      await Deno.copyFile(source.path, path);
    }
    await Deno.chmod(path, source.mode);
  }
  const files = await walkFiles(destAbsolute);
  return { funko, runtime, files, hash: await hashFiles(files) };
}

/**
 * Renders a `.j2` template with nunjucks (Jinja syntax). `file` names the
 * template in errors.
 */
export function renderTemplate(text: string, variables: TemplateVariables, file = "template"): string {
  try {
    return environment().renderString(text, variables);
  } catch (error) {
    const message = (error as Error).message.replace(/^\(unknown path\)\s*/, "").split("\n").map((l) => l.trim())
      .filter(Boolean).join(" ");
    throw new FaasoError(`Cannot render ${file}: ${message}`, { cause: error });
  }
}

/**
 * Copies a runtime's `template/` folder into `dest`, rendering `.j2` files;
 * what `faaso new` does.
 */
export async function writeTemplate(runtime: Runtime, dest: string, variables: TemplateVariables): Promise<string[]> {
  const written: string[] = [];
  const templateFolder = join(runtime.folder, "template");
  let files: WalkedFile[] = [];
  try {
    files = await walkFiles(templateFolder);
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
  }
  for (const file of files) {
    const target = targetPath(file.relative);
    const path = join(dest, target);
    await Deno.mkdir(dirname(path), { recursive: true });
    if (file.relative.endsWith(TEMPLATE_SUFFIX)) {
      await Deno.writeTextFile(path, renderTemplate(await Deno.readTextFile(file.path), variables, file.path));
    } else {
      await Deno.copyFile(file.path, path);
    }
    await Deno.chmod(path, file.mode);
    written.push(target);
  }
  return written;
}

/** The {@linkcode ContextHash} of files on disk, in order. */
export async function hashFiles(files: WalkedFile[]): Promise<string> {
  const hash = new ContextHash();
  for (const file of files) {
    hash.file(file.relative, file.mode, file.size);
    const source = await Deno.open(file.path);
    for await (const chunk of source.readable) hash.update(chunk);
  }
  return hash.digest();
}

let cachedEnvironment: nunjucks.Environment | undefined;

function environment(): nunjucks.Environment {
  // No loader: templates cannot include files from outside their runtime.
  return cachedEnvironment ??= new nunjucks.Environment(null, { autoescape: false, trimBlocks: false });
}

function targetPath(path: string): string {
  return path.endsWith(TEMPLATE_SUFFIX) ? path.slice(0, -TEMPLATE_SUFFIX.length) : path;
}

function isInside(path: string, folder: string): boolean {
  const rel = relative(folder, path);
  return rel !== "" && !rel.startsWith("..") && !rel.startsWith("/");
}
