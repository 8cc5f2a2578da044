/**
 * System endpoints: version and ping.
 *
 * @see https://docs.docker.com/engine/api/v1.41/#tag/System
 * @module
 */
import type { DockerTransport } from "./transport.ts";

/** The parts of `GET /version` FaaSO reads. */
export interface EngineVersion {
  Version: string;
  ApiVersion: string;
  MinAPIVersion: string;
  Os: string;
  Arch: string;
}

/** System endpoints. */
export class System {
  #transport: DockerTransport;

  constructor(transport: DockerTransport) {
    this.#transport = transport;
  }

  /** The engine's version. */
  version(signal?: AbortSignal): Promise<EngineVersion> {
    return this.#transport.json("GET", "/version", { signal });
  }

  /** Resolves when the engine answers `GET /_ping`. */
  async ping(signal?: AbortSignal): Promise<void> {
    await this.#transport.call("GET", "/_ping", { signal });
  }
}
