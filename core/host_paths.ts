/**
 * Paths as the Docker engine's host sees them. A bind mount names a host path;
 * when FaaSO itself runs in a container (the proxy image), its data folder is
 * a volume or bind mount whose host path differs from the path inside.
 *
 * @module
 */
import type { Docker } from "../docker/mod.ts";
import { FaasoError } from "./errors.ts";
import { LABELS } from "./names.ts";

/** Turns a path of this process into the engine host's path for the same folder. */
export type HostPathResolver = (path: string) => string;

/**
 * Finds out whether this process runs in a container of this engine and, if
 * so, maps paths through the container's mounts. Outside a container paths are
 * already host paths.
 */
export async function hostPathResolver(docker: Docker): Promise<HostPathResolver> {
  const id = await ownContainerId(docker);
  if (!id) return (path) => path;
  const container = await docker.containers.inspectOrNull(id);
  if (!container) return (path) => path;
  const mounts = (container.Mounts ?? [])
    .sort((a, b) => b.Destination.length - a.Destination.length);
  return (path) => {
    const mount = mounts.find((m) => path === m.Destination || path.startsWith(`${m.Destination}/`));
    if (!mount) {
      throw new FaasoError(
        `Cannot mount ${path} into instances: FaaSO runs in a container and ${path} is not on a volume or bind ` +
          "mount (run it with -v SOMETHING:/data)",
      );
    }
    return mount.Source + path.slice(mount.Destination.length);
  };
}

/**
 * This process's container ID when it runs in a container of this engine;
 * undefined outside one. Docker names a container's hostname after its ID
 * unless told otherwise; then the proxy containers are searched for that
 * hostname. (Deno allows /proc/self only to fully trusted programs.)
 */
export async function ownContainerId(docker: Docker): Promise<string | undefined> {
  let hostname: string;
  try {
    await Deno.stat("/.dockerenv");
    hostname = (await Deno.readTextFile("/etc/hostname")).trim();
  } catch {
    return undefined;
  }
  const direct = await docker.containers.inspectOrNull(hostname);
  if (direct?.Config.Hostname === hostname) return direct.Id;
  const proxies = await docker.containers.list({ label: [`${LABELS.role}=proxy`] }, { all: false });
  const matches = [];
  for (const proxy of proxies) {
    const inspect = await docker.containers.inspectOrNull(proxy.Id);
    if (inspect?.Config.Hostname === hostname) matches.push(proxy.Id);
  }
  return matches.length === 1 ? matches[0] : undefined;
}
