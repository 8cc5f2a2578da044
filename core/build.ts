/**
 * Building an image from a ready build context (a tar stream): tagged with its
 * UTC build time and `latest`, only once the build succeeded; pushed to a
 * registry when one is given (swarm mode). The server
 * builds uploaded contexts with this; build_folder.ts makes contexts.
 *
 * @module
 */
// Not through mod.ts: build_log.ts loads node:util, which only builds need.
import { BuildLog } from "../docker/build_log.ts";
import { DockerApiError, DockerStreamError } from "../docker/mod.ts";
import { type BuildSettings, describeBuildSettings, GITHUB_MIRROR_ARG } from "./build_settings.ts";
import { newestBuildTag, pruneBuilds, repoTags, stageTag } from "./builds.ts";
import { FaasoError } from "./errors.ts";
import type { FunkoSettings } from "./manifest.ts";
import { imageRepo, LABELS, LATEST, timestampTag } from "./names.ts";
import { type Progress, silent } from "./progress.ts";
import { pushImage } from "./swarm/registry.ts";
import type { LifecycleDeps } from "./scale.ts";

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
  /** Push the build to this registry (swarm mode: nodes pull from it). */
  registry?: string;
  /** Then keep only this many builds of the funko (see {@linkcode pruneBuilds}); none removed without it. */
  keepBuilds?: number;
}

/** What a build made. */
export interface BuildResult {
  /** The funko's name. */
  funko: string;
  /** The image ID (`sha256:...`). */
  imageId: string;
  /** Its tags: `faaso-NAME:<timestamp>` and `faaso-NAME:latest`. */
  tags: string[];
  /** SHA-256 of the build context. */
  sourceHash: string;
  /** The pushed reference with its digest, when a registry was given: `REGISTRY/faaso-NAME:TIMESTAMP@sha256:...`. */
  pushed?: string;
  /** True when nothing changed: the build gave an image that already had its timestamp tag. */
  unchanged: boolean;
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

/** How many lines of a failed step's output the error shows. */
const FAILED_STEP_LINES = 20;

/**
 * Builds an image from a ready tar context (what a remote client uploads) and
 * tags it: a new timestamp tag, `TIME-STAGE` on its build stages, and
 * `latest`, all only once the build succeeded. An unchanged rebuild (the
 * cache gives the same image) adds no timestamp tag. A failed build removes
 * the layers it made and its error ends with the failing step's output. With
 * `keepBuilds`, older builds beyond that many are removed.
 */
export async function buildImage(
  deps: LifecycleDeps,
  context: ReadableStream<Uint8Array>,
  info: ContextInfo,
  options: BuildOptions = {},
  progress: Progress = silent,
): Promise<BuildResult> {
  const docker = deps.docker;
  const repo = imageRepo(info.name);
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
  progress({ kind: "step", text: `Building ${repo}${how}` });
  const log = new BuildLog();
  let imageId = "";
  let pending = "";
  const take = (line: string) => {
    log.line(line.replace(/\r$/, ""));
    if (line.trim()) progress({ kind: "output", text: line.trimEnd() });
  };
  try {
    // Untagged until it succeeded: a failed or interrupted build tags nothing.
    const messages = docker.images.build(context, {
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
      for (const line of lines) take(line);
    }
  } catch (error) {
    if (pending) take(pending);
    await removeLayers(deps, log.newImages());
    if (error instanceof DockerStreamError || (error instanceof DockerApiError && error.status === 400)) {
      const reason = error instanceof DockerApiError ? error.engineMessage : error.message;
      throw new FaasoError(`Cannot build ${info.name}: ${reason}`, {
        code: "build_failed",
        cause: error,
        details: failedStepLines(log),
      });
    }
    throw error;
  }
  if (pending) take(pending);
  const built = imageId ? await docker.images.inspectOrNull(imageId) : null;
  if (!built) throw new FaasoError(`Cannot build ${info.name}: the engine reported success but made no image`);
  const existing = newestBuildTag(repoTags(built, info.name));
  const tag = existing ?? await unusedStamp(deps, repo);
  if (!existing) await docker.images.tag(built.Id, repo, tag);
  for (const stage of log.buildStages()) await docker.images.tag(stage.image!, repo, stageTag(tag, stage.name));
  await docker.images.tag(built.Id, repo, LATEST);
  progress({
    kind: "step",
    text: existing
      ? `Nothing changed since ${repo}:${tag} (the same image): tagged it ${LATEST}`
      : `Built ${repo}:${tag} and tagged it ${LATEST}`,
  });
  const registry = options.registry ?? deps.registry;
  const pushed = registry ? await pushImage(deps.docker, info.name, tag, registry, progress) : undefined;
  if (options.keepBuilds) await pruneBuilds(deps, info.name, options.keepBuilds, progress);
  return {
    funko: info.name,
    imageId: built.Id,
    tags: [`${repo}:${tag}`, `${repo}:${LATEST}`],
    sourceHash: info.sourceHash,
    unchanged: existing !== undefined,
    ...(pushed ? { pushed } : {}),
  };
}

/**
 * The timestamp tag for a new build: now, or (when a build of the same second
 * already has it, so that it would move) the next second.
 */
async function unusedStamp(deps: LifecycleDeps, repo: string): Promise<string> {
  while (true) {
    const stamp = timestampTag();
    if (!await deps.docker.images.inspectOrNull(`${repo}:${stamp}`)) return stamp;
    await new Promise((resolve) => setTimeout(resolve, 1000 - (Date.now() % 1000) + 5));
  }
}

/** The failing step and the last lines it printed, for the error's details. */
function failedStepLines(log: BuildLog): string[] {
  const step = log.failingStep();
  const lines = (step?.output ?? []).filter((line) => line.trim()).map((line) => line.trimEnd());
  if (!step || lines.length === 0) return [];
  const shown = lines.slice(-FAILED_STEP_LINES);
  const which = shown.length < lines.length ? `its last ${shown.length} lines` : "its output";
  return [`step ${step.number}/${step.total} (${step.instruction}), ${which}:`, ...shown];
}

/** Removes the layers a failed build committed (newest first: each removal takes its untagged parents along). */
async function removeLayers(deps: LifecycleDeps, images: string[]): Promise<void> {
  for (const image of images.toReversed()) {
    // Best effort: a layer another build took as its cache meanwhile stays (409), one gone already is fine.
    await deps.docker.images.remove(image).catch(() => false);
  }
}
