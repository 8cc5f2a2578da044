/**
 * Funko images in a registry: a swarm's nodes cannot share the manager's
 * local images, so builds are pushed (`REGISTRY/faaso-NAME:TIMESTAMP`) and
 * services run them by digest (`...:TIMESTAMP@sha256:...`): every task of a
 * service runs exactly the same image, whatever the tag does later.
 *
 * @module
 */
import { type Docker, DockerApiError, DockerStreamError, type ImageInspect } from "../../docker/mod.ts";
import { FaasoError, notFound } from "../errors.ts";
import { buildTag, imageRepo, latestImage } from "../names.ts";
import { type Progress, silent } from "../progress.ts";

/** The repository of a funko's images in a registry: `REGISTRY/faaso-NAME`. */
export function registryRepo(registry: string, funko: string): string {
  return `${registry}/${imageRepo(funko)}`;
}

/** Push statuses worth a line: a layer's end, not its progress. */
const LAYER_DONE = /^(Pushed|Layer already exists|Mounted from .*)$/;

/**
 * Tags `faaso-NAME:TAG` as `REGISTRY/faaso-NAME:TAG`, pushes it, and returns
 * the reference with its digest: `REGISTRY/faaso-NAME:TAG@sha256:...`.
 */
export async function pushImage(
  docker: Docker,
  funko: string,
  tag: string,
  registry: string,
  progress: Progress = silent,
): Promise<string> {
  const repo = registryRepo(registry, funko);
  await docker.images.tag(`${imageRepo(funko)}:${tag}`, repo, tag);
  progress({ kind: "step", text: `Pushing ${repo}:${tag}` });
  let digest = "";
  try {
    for await (const message of docker.images.push(repo, tag)) {
      if (message.aux?.Digest) digest = message.aux.Digest;
      if (message.id && message.status && LAYER_DONE.test(message.status)) {
        progress({ kind: "output", text: `${message.id}: ${message.status}` });
      }
    }
  } catch (error) {
    if (error instanceof DockerStreamError || error instanceof DockerApiError) {
      const reason = error instanceof DockerApiError ? error.engineMessage : error.message;
      throw new FaasoError(`Cannot push ${imageRepo(funko)}:${tag} to ${registry}: ${reason}${pushHint(reason)}`, {
        code: "push_failed",
        status: 502,
        cause: error,
      });
    }
    throw error;
  }
  if (!digest) throw new FaasoError(`Cannot push ${repo}:${tag}: the engine reported no digest`);
  progress({ kind: "step", text: `Pushed ${repo}:${tag}@${digest}` });
  return `${repo}:${tag}@${digest}`;
}

/** What to do about the usual push failures. */
function pushHint(reason: string): string {
  if (/server gave HTTP response to HTTPS client|certificate/i.test(reason)) {
    return " (the engine only trusts registries with TLS, or those in insecure-registries of its daemon.json)";
  }
  if (/connection refused|no such host|i\/o timeout/i.test(reason)) {
    return " (is the registry running, and reachable from the engine's host?)";
  }
  return "";
}

/** The image a funko's service runs, and the local image it is. */
export interface ServiceImage {
  /** What the service names: `REGISTRY/faaso-NAME:TIMESTAMP@sha256:...`, or `faaso-NAME:TIMESTAMP` without a registry. */
  reference: string;
  /** The local image (`faaso-NAME:latest` on the manager). */
  image: ImageInspect;
  /** Its build tag, as status shows it: `faaso-NAME:TIMESTAMP`. */
  tag: string;
}

/**
 * The reference a service should run for the funko's latest build: pushed to
 * the registry first when it is not there yet (a build made before the
 * registry was set, or with FAASO_REGISTRY unset). Without a registry, the
 * build tag itself, which only nodes holding the image can run.
 */
export async function serviceImage(
  docker: Docker,
  funko: string,
  registry: string | undefined,
  progress: Progress = silent,
): Promise<ServiceImage> {
  const image = await docker.images.inspectOrNull(latestImage(funko));
  if (!image) {
    throw notFound(`Cannot run ${funko}: there is no image ${latestImage(funko)} (build it with faaso build FOLDER)`);
  }
  const tag = buildTag(image.RepoTags, funko);
  if (!registry) return { reference: tag, image, tag };
  const stamp = tag.slice(tag.lastIndexOf(":") + 1);
  const repo = registryRepo(registry, funko);
  const digest = (image.RepoDigests ?? []).find((reference) => reference.startsWith(`${repo}@`));
  if (digest) return { reference: `${repo}:${stamp}${digest.slice(repo.length)}`, image, tag };
  return { reference: await pushImage(docker, funko, stamp, registry, progress), image, tag };
}
