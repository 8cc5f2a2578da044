/**
 * Building an image from a ready build context (a tar stream): tagged with its
 * UTC build time and, only once the build succeeded, `latest`. The server
 * builds uploaded contexts with this; build_folder.ts makes contexts.
 *
 * @module
 */
import { type Docker, DockerApiError, DockerStreamError } from "../docker/mod.ts";
import { type BuildSettings, describeBuildSettings, GITHUB_MIRROR_ARG } from "./build_settings.ts";
import { FaasoError } from "./errors.ts";
import type { FunkoSettings } from "./manifest.ts";
import { imageRepo, LABELS, LATEST, timestampTag } from "./names.ts";
import { type Progress, silent } from "./progress.ts";

/**
 * Options for {@linkcode buildFunko} and {@linkcode buildImage}. `githubMirror`
 * becomes the build argument `GITHUB_MIRROR` (an explicit `buildArgs` entry of
 * that name wins); `network` is where RUN steps run.
 */
export interface BuildOptions extends BuildSettings {
  /** Ignore Docker's layer cache. */
  noCache?: boolean;
  /** `--build-arg` values. */
  buildArgs?: Record<string, string>;
  /** Build under this name instead of the one in funko.yml. */
  name?: string;
  /** Build the folder as it is, without merging its runtime. */
  noRuntime?: boolean;
  /** Pull an image funko's image even when the engine has it (a tag such as `latest` may have moved). */
  pull?: boolean;
  /** Aborts the build. */
  signal?: AbortSignal;
}

/** What a build made. */
export interface BuildResult {
  /** The funko's name. */
  funko: string;
  /** The image ID (`sha256:...`). */
  imageId: string;
  /** The tags given: `faaso-NAME:<timestamp>` and `faaso-NAME:latest`. */
  tags: string[];
  /** SHA-256 of the build context. */
  sourceHash: string;
}

/** What a build context is, for labels and tags. */
export interface ContextInfo {
  /** The funko's name. */
  name: string;
  /** The runtime it was merged with (empty when none). */
  runtime: string;
  /** The image an image funko is made from (label `faaso.image`). */
  image?: string;
  /** SHA-256 of the context. */
  sourceHash: string;
  /** How instances of the image run. */
  settings: FunkoSettings;
  /**
   * The context's Dockerfile already sets {@linkcode imageLabels} in one LABEL
   * instruction: the engine turns each label passed with the build request
   * into a step of its own, which costs more than an image funko's build.
   */
  labelled?: boolean;
}

/** The labels of a funko's image: funko, runtime, source hash, settings and, for an image funko, its image. */
export function imageLabels(info: ContextInfo): Record<string, string> {
  return {
    [LABELS.funko]: info.name,
    [LABELS.runtime]: info.runtime,
    [LABELS.sourceHash]: info.sourceHash,
    [LABELS.settings]: JSON.stringify(info.settings),
    ...(info.image ? { [LABELS.image]: info.image } : {}),
  };
}

/**
 * Builds an image from a ready tar context (what a remote client uploads) and
 * tags it. `latest` moves only when the build succeeded.
 */
export async function buildImage(
  docker: Docker,
  context: ReadableStream<Uint8Array>,
  info: ContextInfo,
  options: BuildOptions = {},
  progress: Progress = silent,
): Promise<BuildResult> {
  const repo = imageRepo(info.name);
  const stamp = timestampTag();
  if (options.network && !(await docker.networks.inspectOrNull(options.network, options.signal))) {
    throw new FaasoError(
      `Cannot build ${info.name}: there is no network ${options.network} for its RUN steps (the build network)`,
      { code: "build_network_not_found" },
    );
  }
  const buildArgs = options.githubMirror
    ? { [GITHUB_MIRROR_ARG]: options.githubMirror, ...options.buildArgs }
    : options.buildArgs;
  const how = options.githubMirror || options.network ? ` (${describeBuildSettings(options)})` : "";
  progress({ kind: "step", text: `Building ${repo}:${stamp}${how}` });
  let imageId = "";
  let pending = "";
  try {
    const messages = docker.images.build(context, {
      tags: [`${repo}:${stamp}`],
      labels: info.labelled ? undefined : imageLabels(info),
      buildArgs,
      noCache: options.noCache,
      networkMode: options.network,
      signal: options.signal,
    });
    for await (const message of messages) {
      if (message.aux?.ID) imageId = message.aux.ID;
      const text = message.stream ?? message.status;
      if (!text) continue;
      const lines = (pending + text).split("\n");
      pending = lines.pop() ?? "";
      for (const line of lines) if (line.trim()) progress({ kind: "output", text: line.trimEnd() });
    }
  } catch (error) {
    if (pending.trim()) progress({ kind: "output", text: pending.trimEnd() });
    if (error instanceof DockerStreamError || (error instanceof DockerApiError && error.status === 400)) {
      const reason = error instanceof DockerApiError ? error.engineMessage : error.message;
      throw new FaasoError(`Cannot build ${info.name}: ${reason}`, { code: "build_failed", cause: error });
    }
    throw error;
  }
  if (pending.trim()) progress({ kind: "output", text: pending.trimEnd() });
  const built = await docker.images.inspectOrNull(`${repo}:${stamp}`);
  if (!built) throw new FaasoError(`Cannot build ${info.name}: the engine reported success but made no image`);
  await docker.images.tag(built.Id, repo, LATEST);
  progress({ kind: "step", text: `Built ${repo}:${stamp} and tagged it ${LATEST}` });
  return {
    funko: info.name,
    imageId: imageId || built.Id,
    tags: [`${repo}:${stamp}`, `${repo}:${LATEST}`],
    sourceHash: info.sourceHash,
  };
}
