/**
 * `faaso rm`: a funko's instances and every image of it, gone.
 *
 * @module
 */
import { notFound } from "./errors.ts";
import { imageRepo, LABELS } from "./names.ts";
import { type Progress, silent } from "./progress.ts";
import type { LifecycleDeps } from "./scale.ts";

/** What `rm` removed. */
export interface RemoveResult {
  /** The funko. */
  funko: string;
  /** Instance names removed. */
  instances: string[];
  /** Image IDs removed. */
  images: string[];
}

/** Removes every instance and every image of `funko`. Unknown funko: an error. */
export async function removeFunko(
  deps: LifecycleDeps,
  funko: string,
  progress: Progress = silent,
): Promise<RemoveResult> {
  const service = deps.instances.service;
  const instances = service ? [] : await deps.instances.list(funko);
  const images = (await deps.docker.images.list({ label: [`${LABELS.funko}=${funko}`] }))
    .filter((image) => (image.RepoTags ?? []).some((tag) => tag.startsWith(`${imageRepo(funko)}:`)));
  // A swarm service goes as a whole (its tasks stop with it).
  const served = service ? await service.remove(funko, progress) : null;
  if (instances.length === 0 && images.length === 0 && served === null) {
    throw notFound(`No funko named ${funko}: there is no image ${imageRepo(funko)} and no instance of it`);
  }
  await Promise.all(instances.map(async (instance) => {
    progress({ kind: "step", text: `Removing ${instance.name}` });
    await deps.instances.remove(instance, 5);
  }));
  // Untag rather than force-delete: an image the user also tagged otherwise stays theirs.
  for (const image of images) {
    const tags = (image.RepoTags ?? []).filter((tag) => tag.startsWith(`${imageRepo(funko)}:`));
    progress({ kind: "step", text: `Removing image ${tags.join(", ")}` });
    for (const tag of tags) await deps.docker.images.remove(tag);
  }
  return { funko, instances: served ?? instances.map((i) => i.name), images: images.map((i) => i.Id) };
}
