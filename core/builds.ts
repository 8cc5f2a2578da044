/**
 * A funko's builds as Docker holds them: images in the repository
 * `faaso-NAME`, each build tagged with its UTC build time, its build stages
 * tagged `TIME-STAGE` (a multi-stage runtime's `build` stage, kept as the
 * layer cache of the next build), `latest` on the one instances run. Keeping
 * the newest N builds and removing the rest is `faaso prune`, which every
 * build runs for its own funko.
 *
 * @module
 */
import { DockerApiError } from "../docker/errors.ts";
import type { ImageSummary } from "../docker/images.ts";
import { FUNKO_NAME_PATTERN, imageRepo, LABELS, LATEST } from "./names.ts";
import { type Progress, silent } from "./progress.ts";
import type { LifecycleDeps } from "./scale.ts";
import { counted } from "./words.ts";

/** How many builds of each funko are kept when nothing else says. */
export const DEFAULT_KEEP_BUILDS = 5;

/** A build's own tag: its UTC build time, `20261129T133316Z`. */
const BUILD_TAG = /^\d{8}T\d{6}Z$/;
/** A build stage's tag: its build's time and the stage's name, `20261129T133316Z-build`. */
const STAGE_TAG = /^(\d{8}T\d{6}Z)-[a-z0-9][a-z0-9_.-]*$/;

/** Whether `tag` (without the repository) is a build's timestamp tag. */
export function isBuildTag(tag: string): boolean {
  return BUILD_TAG.test(tag);
}

/** The tag of a build stage: `TIME-STAGE`. */
export function stageTag(stamp: string, stage: string): string {
  return `${stamp}-${stage.toLowerCase().replace(/[^a-z0-9_.-]/g, "-")}`;
}

/** The build time a stage tag belongs to, or undefined when `tag` is no stage tag. */
export function stageTagStamp(tag: string): string | undefined {
  return STAGE_TAG.exec(tag)?.[1];
}

/** The tags of `image` in the funko's repository, without the repository. */
export function repoTags(image: { RepoTags?: string[] | null }, funko: string): string[] {
  const prefix = `${imageRepo(funko)}:`;
  return (image.RepoTags ?? []).filter((tag) => tag.startsWith(prefix)).map((tag) => tag.slice(prefix.length));
}

/** The newest build tag among `tags`, if any. */
export function newestBuildTag(tags: string[]): string | undefined {
  return tags.filter(isBuildTag).sort().at(-1);
}

/** What {@linkcode pruneBuilds} removed. */
export interface PruneResult {
  /** The funko. */
  funko: string;
  /** Tags of the builds removed (`faaso-NAME:TIME`), oldest first. */
  builds: string[];
  /** Build stages removed: their tags, or image IDs for untagged ones. */
  stages: string[];
  /** Builds kept. */
  kept: number;
}

/**
 * Keeps the newest `keep` builds of `funko` (and, whatever their age, the one
 * `latest` names and every one an instance runs), removes the others with
 * their build stages, and removes untagged build stages and images of the
 * funko (left by a build that was interrupted, or by an older FaaSO). Only
 * FaaSO's own tags are removed: an image that also carries a tag of someone
 * else's stays, under that tag.
 */
export async function pruneBuilds(
  deps: LifecycleDeps,
  funko: string,
  keep: number,
  progress: Progress = silent,
): Promise<PruneResult> {
  const repo = imageRepo(funko);
  const [images, instances] = await Promise.all([
    deps.docker.images.list({ reference: [repo] }),
    deps.instances.list(funko),
  ]);
  const builds = images.map((image) => ({ image, tags: repoTags(image, funko) }))
    .filter((build) => build.tags.some(isBuildTag))
    .sort((a, b) => newestBuildTag(b.tags)!.localeCompare(newestBuildTag(a.tags)!));
  const kept = new Set(builds.slice(0, Math.max(keep, 1)).map((build) => build.image.Id));
  for (const image of images) if (repoTags(image, funko).includes(LATEST)) kept.add(image.Id);
  for (const instance of instances) kept.add(instance.imageId);
  const keptStamps = new Set(
    images.filter((image) => kept.has(image.Id)).flatMap((image) => repoTags(image, funko).filter(isBuildTag)),
  );

  const result: PruneResult = { funko, builds: [], stages: [], kept: 0 };
  const untag: string[] = [];
  for (const image of images) {
    for (const tag of repoTags(image, funko)) {
      const stamp = stageTagStamp(tag);
      if (isBuildTag(tag) && !kept.has(image.Id)) {
        untag.push(tag);
        result.builds.push(`${repo}:${tag}`);
      } else if (stamp && !keptStamps.has(stamp)) {
        untag.push(tag);
        result.stages.push(`${repo}:${tag}`);
      }
    }
  }
  result.kept = builds.filter((build) => kept.has(build.image.Id)).length;
  result.builds.sort();
  if (result.builds.length) {
    progress({ kind: "step", text: `Removing ${counted(result.builds.length, "old build")} of ${funko}` });
  }
  for (const tag of untag.sort()) await removeImage(deps, `${repo}:${tag}`, progress);
  for (const image of await danglingImages(deps, funko)) {
    if (await removeImage(deps, image.Id, progress)) result.stages.push(image.Id.slice(7, 19));
  }
  return result;
}

/** {@linkcode pruneBuilds} for every funko that has images (builds, or untagged build stages). */
export async function pruneAll(deps: LifecycleDeps, keep: number, progress: Progress = silent): Promise<PruneResult[]> {
  const [builds, stages] = await Promise.all([
    deps.docker.images.list({ label: [LABELS.funko] }),
    deps.docker.images.list({ dangling: ["true"], label: [LABELS.buildStage] }),
  ]);
  const names = new Set([
    ...builds.map((image) => image.Labels?.[LABELS.funko] ?? ""),
    ...stages.map((image) => image.Labels?.[LABELS.buildStage] ?? ""),
  ]);
  const results: PruneResult[] = [];
  for (const name of [...names].filter((name) => FUNKO_NAME_PATTERN.test(name)).sort()) {
    results.push(await pruneBuilds(deps, name, keep, progress));
  }
  return results;
}

/**
 * Untagged images that are FaaSO's and of no use: build stages of `funko`
 * (label `faaso.build-stage`, set by the runtimes' Dockerfiles) and builds of
 * it that never got their tags.
 */
export async function danglingImages(deps: LifecycleDeps, funko: string): Promise<ImageSummary[]> {
  const lists = await Promise.all([
    deps.docker.images.list({ dangling: ["true"], label: [`${LABELS.buildStage}=${funko}`] }),
    deps.docker.images.list({ dangling: ["true"], label: [`${LABELS.funko}=${funko}`] }),
  ]);
  const seen = new Set<string>();
  return lists.flat().filter((image) => !seen.has(image.Id) && seen.add(image.Id));
}

/**
 * Removes an image or one of its tags; the engine then removes the image
 * once no tag is left, with the untagged layers below it. One an instance or
 * someone's container still uses is reported and kept.
 */
export async function removeImage(deps: LifecycleDeps, reference: string, progress: Progress): Promise<boolean> {
  try {
    return await deps.docker.images.remove(reference);
  } catch (error) {
    if (!(error instanceof DockerApiError) || error.status !== 409) throw error;
    progress({ kind: "warning", text: `Kept ${reference}: ${error.engineMessage}` });
    return false;
  }
}
