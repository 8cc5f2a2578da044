/**
 * What `faaso status` asks the engine first, asked ahead: the CLI calls this
 * before it loads the status modules (the settings' schemas take a while), and
 * the lists that `status` in core/status.ts makes then take the answers. Kept light: names
 * only.
 *
 * @module
 */
import type { Docker } from "../docker/mod.ts";
import { funkoImageFilters, instanceFilters } from "./names.ts";

/** Sends the image and instance lists of `status(deps, name)` now. */
export function prefetchStatus(docker: Docker, name?: string): void {
  docker.images.prefetchList(funkoImageFilters(name));
  docker.containers.prefetchList(instanceFilters(name));
}
