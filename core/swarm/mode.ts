/**
 * Whether FaaSO runs funkos as swarm services: by default when the engine is
 * a swarm manager (`FAASO_SWARM=auto`), always (`on`: an engine that is not a
 * manager is then an error) or never (`off`). And the registry a swarm's
 * nodes pull funko images from (`FAASO_REGISTRY`).
 *
 * @module
 */
import type { Docker } from "../../docker/mod.ts";
import { FaasoError } from "../errors.ts";

/** When to use swarm mode. */
export type SwarmSetting = "auto" | "on" | "off";

/** Swarm mode, once decided. */
export interface SwarmMode {
  /** Where nodes pull funko images from: `host[:port][/path]`; none on a one-node swarm. */
  registry?: string;
}

/** A registry address as Docker names them: a host (with a dot, a port, or `localhost`) and an optional path. */
const REGISTRY_PATTERN =
  /^(?:localhost|[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)*)(?::\d{1,5})?(?:\/[a-z0-9]+(?:[._-][a-z0-9]+)*)*$/;

/**
 * Reads a swarm setting (`FAASO_SWARM`, `faaso serve --swarm`): auto, on/1/true/yes, off/0/false/no.
 * `where` names the source in the error.
 */
export function parseSwarmSetting(value: string | undefined, where = "FAASO_SWARM"): SwarmSetting {
  const text = (value ?? "").trim().toLowerCase();
  if (text === "" || text === "auto") return "auto";
  if (["on", "1", "true", "yes"].includes(text)) return "on";
  if (["off", "0", "false", "no"].includes(text)) return "off";
  throw new FaasoError(`${where}=${value}: use auto (swarm mode when the engine is a swarm manager), on or off`);
}

/**
 * Checks a registry address (`FAASO_REGISTRY`, `--registry`): `host:port` or
 * `host/path`, as image references start, without a scheme. Returns it
 * without a trailing slash; undefined when empty.
 */
export function parseRegistry(value: string | undefined, where = "FAASO_REGISTRY"): string | undefined {
  const text = (value ?? "").trim().replace(/\/+$/, "");
  if (!text) return undefined;
  if (/^[a-z]+:\/\//i.test(text)) {
    throw new FaasoError(
      `${where}=${value}: name the registry as image references do, without a scheme (registry.example.com:5000)`,
    );
  }
  if (!REGISTRY_PATTERN.test(text)) {
    throw new FaasoError(
      `${where}=${value}: not a registry address: use host, host:port or host:port/path in lowercase ` +
        "(registry.example.com:5000)",
    );
  }
  return text;
}

/** Swarm settings from the environment: FAASO_SWARM and FAASO_REGISTRY. */
export function swarmSettingsFromEnv(): { setting: SwarmSetting; registry?: string } {
  const registry = parseRegistry(Deno.env.get("FAASO_REGISTRY"));
  return { setting: parseSwarmSetting(Deno.env.get("FAASO_SWARM")), ...(registry ? { registry } : {}) };
}

/**
 * Decides the mode for an engine: swarm mode (with its registry) or null for
 * single-host mode. `auto` asks the engine whether it manages a swarm (one
 * cheap `GET /swarm`); `on` insists and says what is wrong when it does not.
 */
export async function detectSwarm(
  docker: Docker,
  settings: { setting: SwarmSetting; registry?: string },
  signal?: AbortSignal,
): Promise<SwarmMode | null> {
  if (settings.setting === "off") return null;
  const swarm = await docker.swarm.inspectOrNull(signal);
  if (!swarm) {
    if (settings.setting === "auto") return null;
    throw new FaasoError(
      `Cannot use swarm mode: the Docker engine at ${docker.transport.host} is not a swarm manager ` +
        "(docker swarm init makes it one; on a worker, point DOCKER_HOST at a manager)",
    );
  }
  return settings.registry ? { registry: settings.registry } : {};
}
