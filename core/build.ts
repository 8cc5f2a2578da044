/**
 * Building an image from a ready build context (a tar stream): tagged with its
 * UTC build time and, only once the build succeeded, `latest`; pushed to a
 * registry when one is given (swarm mode). The server
 * builds uploaded contexts with this; build_folder.ts makes contexts.
 *
 * @module
 */
import { type Docker, DockerApiError, DockerStreamError } from "../docker/mod.ts";
import { FaasoError } from "./errors.ts";
import type { FunkoSettings } from "./manifest.ts";
import { imageRepo, LABELS, LATEST, timestampTag } from "./names.ts";
import { type Progress, silent } from "./progress.ts";
import { pushImage } from "./swarm/registry.ts";

/** Options for {@linkcode buildFunko} and {@linkcode buildImage}. */
export interface BuildOptions {
  /** Ignore Docker's layer cache. */
  noCache?: boolean;
  /** `--build-arg` values. */
  buildArgs?: Record<string, string>;
  /** Build under this name instead of the one in funko.yml. */
  name?: string;
  /** Build the folder as it is, without merging its runtime. */
  noRuntime?: boolean;
  /** Aborts the build. */
  signal?: AbortSignal;
  /** Push the build to this registry (swarm mode: nodes pull from it). */
  registry?: string;
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
  /** The pushed reference with its digest, when a registry was given: `REGISTRY/faaso-NAME:TIMESTAMP@sha256:...`. */
  pushed?: string;
}

/** What a build context is, for labels and tags. */
export interface ContextInfo {
  /** The funko's name. */
  name: string;
  /** The runtime it was merged with (empty when none). */
  runtime: string;
  /** SHA-256 of the context. */
  sourceHash: string;
  /** How instances of the image run. */
  settings: FunkoSettings;
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
  progress({ kind: "step", text: `Building ${repo}:${stamp}` });
  let imageId = "";
  let pending = "";
  try {
    const messages = docker.images.build(context, {
      tags: [`${repo}:${stamp}`],
      labels: {
        [LABELS.funko]: info.name,
        [LABELS.runtime]: info.runtime,
        [LABELS.sourceHash]: info.sourceHash,
        [LABELS.settings]: JSON.stringify(info.settings),
      },
      buildArgs: options.buildArgs,
      noCache: options.noCache,
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
  const pushed = options.registry ? await pushImage(docker, info.name, stamp, options.registry, progress) : undefined;
  return {
    funko: info.name,
    imageId: imageId || built.Id,
    tags: [`${repo}:${stamp}`, `${repo}:${LATEST}`],
    sourceHash: info.sourceHash,
    ...(pushed ? { pushed } : {}),
  };
}
