/**
 * `faaso build FOLDER`: a funko folder merged with its runtime into a
 * temporary build context, then built. Remote builds prepare the same context
 * and upload it instead. An image funko (`image:` in funko.yml) has no
 * context: image_funko.ts makes its image from the one it names.
 *
 * @module
 */
import { tarFiles, type WalkedFile } from "./archive.ts";
import { buildImage, type BuildOptions, type BuildResult, type ContextInfo } from "./build.ts";
import { writeContext } from "./context.ts";
import { FaasoError } from "./errors.ts";
import { type Funko, loadFunko } from "./funko.ts";
import type { ImageFunkoSource } from "./image_funko.ts";
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
  const funko = await loadBuildFunko(folder, options);
  if (funko.image) {
    const { buildFromImage } = await import("./image_funko.ts");
    const source = imageSourceOf(funko, options);
    return await buildFromImage(deps, source, options, progress);
  }
  await using prepared = await prepareBuild(folder, options);
  return await buildImage(deps, tarFiles(prepared.files), prepared.info, options, progress);
}

/** Loads the funko in `folder`, renamed by `options.name` (checked as a funko name). */
export async function loadBuildFunko(folder: string, options: Pick<BuildOptions, "name"> = {}): Promise<Funko> {
  const funko = await loadFunko(folder);
  if (options.name !== undefined) {
    const parsed = FunkoName.safeParse(options.name);
    if (!parsed.success) throw new FaasoError(`--name ${options.name}: ${parsed.error.issues[0]?.message}`);
    funko.name = parsed.data;
  }
  return funko;
}

/**
 * What an image funko's build needs, local or remote; build options that
 * only make sense with a Dockerfile are refused, not ignored.
 */
export function imageSourceOf(funko: Funko, options: BuildOptions = {}): ImageFunkoSource {
  if (!funko.image) throw new FaasoError(`Cannot build ${funko.name} from an image: its funko.yml names none`);
  const refused = options.buildArgs && Object.keys(options.buildArgs).length > 0
    ? "--build-arg"
    : options.noRuntime
    ? "--no-runtime"
    : undefined;
  if (refused) {
    throw new FaasoError(
      `Cannot build ${funko.name} with ${refused}: it runs the image ${funko.image}, there is no Dockerfile to build`,
    );
  }
  return { name: funko.name, image: funko.image, settings: settingsOf(funko) };
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
  const funko = await loadBuildFunko(folder, options);
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
