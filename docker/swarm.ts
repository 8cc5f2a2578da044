/**
 * The swarm itself: whether this engine manages one, and its settings.
 *
 * @see https://docs.docker.com/engine/api/v1.41/#tag/Swarm
 * @module
 */
import type { DockerTransport } from "./transport.ts";

/** The parts of `GET /swarm` FaaSO reads. */
export interface SwarmInspect {
  ID: string;
  Version: { Index: number };
  CreatedAt: string;
  UpdatedAt: string;
  Spec: { Name?: string; Labels?: Record<string, string> };
}

/** Swarm endpoints. */
export class Swarm {
  #transport: DockerTransport;

  constructor(transport: DockerTransport) {
    this.#transport = transport;
  }

  /**
   * The swarm this engine manages, or null when it manages none: the engine
   * answers 503 when it is in no swarm or is only a worker (406 on some
   * versions). Cheap: an engine's `GET /info` counts every image and
   * container, this does not.
   */
  async inspectOrNull(signal?: AbortSignal): Promise<SwarmInspect | null> {
    const response = await this.#transport.request("GET", "/swarm", { expect: [200, 406, 503], signal });
    if (response.status !== 200) {
      await response.body?.cancel();
      return null;
    }
    return await response.json() as SwarmInspect;
  }
}
