/**
 * `faaso rm`: a funko's instances, every image of it (builds and build
 * stages) and its secrets, gone, so that a future funko of the same name
 * starts from nothing.
 *
 * @module
 */
import { danglingImages, removeImage, repoTags } from "./builds.ts";
import { notFound } from "./errors.ts";
import { imageRepo } from "./names.ts";
import { type Progress, silent } from "./progress.ts";
import type { LifecycleDeps } from "./scale.ts";
import type { SecretBackend } from "./secrets.ts";

/** What `rm` removed. */
export interface RemoveResult {
  /** The funko. */
  funko: string;
  /** Instance names removed. */
  instances: string[];
  /** Image IDs removed (builds and build stages). */
  images: string[];
  /** Names of the secrets removed. */
  secrets: string[];
}

/**
 * Removes every instance and every image of `funko` and, given the store its
 * instances mount, its secrets. A funko with none of these is an error.
 */
export async function removeFunko(
  deps: LifecycleDeps,
  funko: string,
  progress: Progress = silent,
  secrets?: SecretBackend,
): Promise<RemoveResult> {
  const repo = imageRepo(funko);
  const service = deps.instances.service;
  const [instances, images, dangling, secretNames] = await Promise.all([
    // A swarm service goes as a whole (its tasks stop with it).
    service ? [] : deps.instances.list(funko),
    deps.docker.images.list({ reference: [repo] }),
    danglingImages(deps, funko),
    secrets ? secrets.list(funko) : [],
  ]);
  const served = service ? await service.remove(funko, progress) : null;
  if (
    instances.length === 0 && images.length === 0 && dangling.length === 0 && secretNames.length === 0 &&
    served === null
  ) {
    throw notFound(`No funko named ${funko}: there is no image ${repo}, no instance and no secret of it`);
  }
  await Promise.all(instances.map(async (instance) => {
    progress({ kind: "step", text: `Removing ${instance.name}` });
    await deps.instances.remove(instance, 5);
  }));
  // Untag rather than force-delete: an image someone also tagged elsewhere stays theirs, under that tag.
  for (const image of images) {
    const tags = repoTags(image, funko);
    progress({ kind: "step", text: `Removing image ${tags.map((tag) => `${repo}:${tag}`).join(", ")}` });
    for (const tag of tags) await removeImage(deps, `${repo}:${tag}`, progress);
  }
  for (const image of dangling) await removeImage(deps, image.Id, progress);
  if (secrets && secretNames.length) {
    progress({ kind: "step", text: `Removing the secrets of ${funko}: ${secretNames.join(", ")}` });
    await secrets.removeAll(funko);
  }
  return {
    funko,
    instances: served ?? instances.map((i) => i.name),
    images: [...images, ...dangling].map((i) => i.Id),
    secrets: secretNames,
  };
}
