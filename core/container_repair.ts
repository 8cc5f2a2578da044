/**
 * What it takes to bring an instance container back when a plain start does
 * not: after an engine crash or a restart on a busy machine, the engine may
 * refuse to start a container it still half-remembers ("endpoint with name
 * NAME already exists in network faaso-net", "task ID: already exists"), and
 * a container can be broken in other ways (a network it was connected to is
 * gone). Instances are cattle: such a container is removed, its stale
 * endpoint disconnected with force, and a new one created from the same
 * image with the same settings, under a new name (a stale endpoint blocks
 * the old one).
 *
 * @module
 */
import { type ContainerCreateBody, type Docker, DockerApiError, type ImageInspect } from "../docker/mod.ts";
import { FaasoError } from "./errors.ts";
import type { Instance, Repair } from "./instances.ts";
import { type FunkoSettings, settingsFromLabels } from "./manifest.ts";
import { imageRepo, LATEST, latestImage, NETWORK } from "./names.ts";

/** What repairing needs of the container backend (core/instances.ts). */
export interface ContainerRepairDeps {
  /** The engine. */
  docker: Docker;
  /** An instance read one by one (with its secrets folder), by ID or name; null when it is gone. */
  get(id: string, signal?: AbortSignal): Promise<Instance | null>;
  /** Creates a container and starts it (removing it again when it cannot start). */
  createAndStart(name: string, config: ContainerCreateBody, signal?: AbortSignal): Promise<Instance>;
  /** The container an instance of `funko` named `name` is, with these settings and secrets. */
  config(funko: string, name: string, settings: FunkoSettings, secretsFolder?: string): ContainerCreateBody;
  /** The funko's secrets folder on the engine's host, for an instance that had none. */
  secretsFolder?: (funko: string) => Promise<string>;
}

/**
 * Starts the instance's container; when the engine refuses (state kept from
 * before a crash, or anything else), replaces it: checks that a replacement
 * can be made (its image is there), removes the container and its stale
 * endpoint, and creates the replacement.
 */
export async function repairContainer(
  deps: ContainerRepairDeps,
  instance: Instance,
  signal?: AbortSignal,
): Promise<Repair> {
  let reason: string;
  try {
    await deps.docker.containers.start(instance.id, signal);
    return { instance: await deps.get(instance.id, signal) ?? instance };
  } catch (error) {
    if (signal?.aborted) throw error;
    // 404: the container is gone, or something it needs is (a network removed since it ran): only the first is final.
    if (error instanceof DockerApiError && error.status === 404 && !await deps.get(instance.id, signal)) {
      // Gone meanwhile: another FaaSO may have replaced it a moment ago.
      const replacement = await deps.get(await replacementName(instance.funko, instance.id), signal);
      if (replacement) return { instance: replacement, replaced: "it was gone" };
      throw new FaasoError(`Cannot start ${instance.name}: it is gone`, { cause: error });
    }
    reason = error instanceof DockerApiError ? error.engineMessage : (error as Error).message;
  }
  const full = await deps.get(instance.id, signal) ?? instance;
  const replacement = await prepareReplacement(deps, full, signal);
  await removeStale(deps.docker, instance.id, instance.name, NETWORK);
  return { instance: await startReplacement(deps, replacement, signal), replaced: reason };
}

/** Creates and starts a container like the instance's, named after its ID (see {@linkcode replacementName}). */
export async function replaceContainer(
  deps: ContainerRepairDeps,
  instance: Instance,
  signal?: AbortSignal,
): Promise<Instance> {
  const full = instance.secretsFolder === undefined ? await deps.get(instance.id, signal) ?? instance : instance;
  return await startReplacement(deps, await prepareReplacement(deps, full, signal), signal);
}

/** The name and container of a replacement of `instance`: its image, the settings that image carries, its secrets. */
async function prepareReplacement(
  deps: ContainerRepairDeps,
  instance: Instance,
  signal?: AbortSignal,
): Promise<{ name: string; config: ContainerCreateBody }> {
  const [image, latest] = await Promise.all([
    deps.docker.images.inspectOrNull(instance.imageId, signal),
    deps.docker.images.inspectOrNull(latestImage(instance.funko), signal),
  ]);
  if (!image) throw new FaasoError(`Cannot replace ${instance.name}: its image ${shortId(instance.imageId)} is gone`);
  const secrets = instance.secretsFolder ?? await deps.secretsFolder?.(instance.funko);
  const name = await replacementName(instance.funko, instance.id);
  const config = deps.config(instance.funko, name, settingsFromLabels(image.Config.Labels), secrets);
  return { name, config: { ...config, Image: imageReference(image, instance.funko, latest?.Id) } };
}

async function startReplacement(
  deps: ContainerRepairDeps,
  replacement: { name: string; config: ContainerCreateBody },
  signal?: AbortSignal,
): Promise<Instance> {
  try {
    return await deps.createAndStart(replacement.name, replacement.config, signal);
  } catch (error) {
    // 409: the name is taken, by the replacement another FaaSO made a moment ago. That one will do.
    if (!(error instanceof DockerApiError && error.status === 409)) throw error;
    const existing = await deps.get(replacement.name, signal);
    if (!existing) throw error;
    if (existing.state !== "running") await deps.docker.containers.start(existing.id, signal);
    return await deps.get(existing.id, signal) ?? existing;
  }
}

function shortId(id: string): string {
  return id.replace(/^sha256:/, "").slice(0, 12);
}

/**
 * The name of the replacement of instance `id` of `funko`: derived from the
 * old instance's ID, so that two FaaSOs repairing the same instance at once
 * (a server and a `faaso up`) make one replacement, not two: the second
 * create finds the name taken.
 */
export async function replacementName(funko: string, id: string): Promise<string> {
  const alphabet = "abcdefghijklmnopqrstuvwxyz0123456789";
  // Web Crypto: node:crypto's polyfill cost every CLI command that lists instances ~20 ms of start-up.
  const bytes = new Uint8Array(
    await crypto.subtle.digest("SHA-256", new TextEncoder().encode(`replacement of ${id}`)),
  );
  const suffix = Array.from(bytes.subarray(0, 6), (b) => alphabet[b % alphabet.length]).join("");
  return `faaso-${funko}-${suffix}`;
}

/**
 * The reference to create a replacement from, for an instance that ran
 * `image`: `faaso-NAME:latest` when that is still the same image, else one of
 * its build tags (`faaso-NAME:20261129T133316Z`), else its ID. The same image
 * either way; a tag only reads better in `docker ps`.
 */
export function imageReference(image: ImageInspect, funko: string, latestId: string | undefined): string {
  if (image.Id === latestId) return `${imageRepo(funko)}:${LATEST}`;
  const tags = (image.RepoTags ?? []).filter((tag) =>
    tag.startsWith(`${imageRepo(funko)}:`) && !tag.endsWith(`:${LATEST}`)
  );
  const tag = tags.sort().at(-1);
  return tag ?? image.Id;
}

/**
 * Removes what is left of an instance container that cannot start: the
 * container itself and, when the engine kept it, its endpoint on `network`
 * (a stale endpoint outlives its container and blocks the name).
 */
export async function removeStale(docker: Docker, id: string, name: string, network: string): Promise<void> {
  await docker.containers.remove(id, { force: true });
  await docker.networks.disconnect(network, name, { force: true }).catch(() => false);
}
