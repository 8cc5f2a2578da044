/**
 * `faaso build FOLDER`: a funko folder merged with its runtime into a
 * temporary build context, then built. Remote builds prepare the same context
 * and upload it instead.
 *
 * @module
 */
import { tarFiles, type WalkedFile } from "./archive.ts";
import { buildImage, type BuildOptions, type BuildResult, type ContextInfo } from "./build.ts";
import { writeContext } from "./context.ts";
import { FaasoError } from "./errors.ts";
import { loadFunko } from "./funko.ts";
import { FunkoName, settingsOf } from "./manifest.ts";
import { type Progress, silent } from "./progress.ts";
import type { LifecycleDeps } from "./scale.ts";

/**
 * Builds the funko in `folder`: merges its runtime into a temporary folder,
 * streams that to the engine and tags the result. The temporary folder is
 * removed whatever happens.
 */
export async function buildFunko(
  deps: LifecycleDeps,
  folder: string,
  options: BuildOptions = {},
  progress: Progress = silent,
): Promise<BuildResult> {
  await using prepared = await prepareBuild(folder, options);
  return await buildImage(deps, tarFiles(prepared.files), prepared.info, options, progress);
}

/** A funko's build context, written to a temporary folder that disposing removes. */
export interface PreparedBuild extends AsyncDisposable {
  /** Name, runtime, hash and settings: what labels the image. */
  info: ContextInfo;
  /** The files of the context, in archive order. */
  files: WalkedFile[];
}

/**
 * Loads the funko in `folder` (renamed by `options.name`), merges and renders
 * its context into a temporary folder. Local and remote builds both start here.
 */
export async function prepareBuild(
  folder: string,
  options: Pick<BuildOptions, "name" | "noRuntime"> = {},
): Promise<PreparedBuild> {
  const funko = await loadFunko(folder);
  if (options.name !== undefined) {
    const parsed = FunkoName.safeParse(options.name);
    if (!parsed.success) throw new FaasoError(`--name ${options.name}: ${parsed.error.issues[0]?.message}`);
    funko.name = parsed.data;
  }
  const temp = await Deno.makeTempDir({ prefix: `faaso-build-${funko.name}-` });
  const dispose = () => Deno.remove(temp, { recursive: true });
  try {
    const context = await writeContext(funko, temp, { noRuntime: options.noRuntime });
    return {
      info: {
        name: funko.name,
        runtime: context.runtime?.name ?? "",
        sourceHash: context.hash,
        settings: settingsOf(funko),
      },
      files: context.files,
      [Symbol.asyncDispose]: dispose,
    };
  } catch (error) {
    await dispose();
    throw error;
  }
}
