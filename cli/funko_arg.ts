/**
 * A funko named on the command line where a name is expected (`up`, `logs`,
 * `rm`, ...). People type the folder too: `faaso up hello/` (tab completion),
 * `faaso up ./myfunko`. A folder with a funko.yml stands for the funko it
 * holds; anything else that is no funko name gets a message saying what was
 * expected, never an engine error about `faaso-hello/:latest`.
 *
 * @module
 */
import { FaasoError } from "../core/errors.ts";
import { FUNKO_NAME_PATTERN, FUNKO_NAME_RULE } from "../core/names.ts";

/** Whether `arg` is written like a path rather than a name. */
function looksLikePath(arg: string): boolean {
  return arg.includes("/") || arg.startsWith(".") || arg.startsWith("~");
}

/**
 * The funko name `arg` stands for: `arg` itself when it is a funko name, the
 * name in its funko.yml when it is a funko folder. Throws a message naming
 * both readings otherwise.
 */
export async function funkoArg(arg: string): Promise<string> {
  if (FUNKO_NAME_PATTERN.test(arg)) return arg;
  const { loadFunko, MANIFEST } = await import("../core/funko.ts");
  let isFolder = false;
  try {
    isFolder = (await Deno.stat(arg)).isDirectory;
  } catch {
    // Neither a folder nor anything else: a name with a typo, or a path that does not exist.
  }
  if (isFolder) {
    try {
      return (await loadFunko(arg)).name;
    } catch (error) {
      if (!(error instanceof FaasoError) || error.status !== 404) throw error;
      throw new FaasoError(
        `${arg} is not a funko: a funko name ${shortRule()}, or a funko folder, with a ${MANIFEST} (there is none)`,
      );
    }
  }
  if (looksLikePath(arg)) {
    throw new FaasoError(`${arg} is not a funko: no such folder, and a funko name ${shortRule()}`);
  }
  throw new FaasoError(`${arg}: not a funko name: ${FUNKO_NAME_RULE}`);
}

function shortRule(): string {
  return `uses lowercase letters, digits and '-'`;
}
