/**
 * A funko: a folder with a `funko.yml`. This module reads and validates it.
 *
 * @module
 */
import { basename, join, resolve } from "node:path";
import { parse as parseYaml, YAMLParseError } from "yaml";
import { FaasoError } from "./errors.ts";
import { formatIssues, FunkoManifest, MANIFEST } from "./manifest.ts";

export { MANIFEST };

/** A funko read from disk. */
export interface Funko extends FunkoManifest {
  /** Absolute path of the funko's folder. */
  folder: string;
  /** Its funko.yml as the user named it (`hello/funko.yml`), for messages. */
  manifest?: string;
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
  return { ...parseManifest(text, shown), folder: absolute, manifest: shown };
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
      // The parser's message ends with its own " at line L, column C:": the position is said once, first.
      const message = error.message.split("\n")[0]!.replace(/ at line \d+, column \d+:?$/, "");
      throw new FaasoError(`${file}: ${at}${message}`, { cause: error });
    }
    throw error;
  }
  if (data === null || typeof data !== "object" || Array.isArray(data)) {
    throw new FaasoError(`${file}: expected fields such as name: and runtime:, found ${describe(data)}`);
  }
  const result = FunkoManifest.safeParse(data, { reportInput: true });
  if (!result.success) throw new FaasoError(`${file}: ${formatIssues(result.error)}`);
  return result.data;
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
