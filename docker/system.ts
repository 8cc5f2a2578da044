/**
 * System endpoints: version, info and ping.
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

/** The parts of `GET /info` FaaSO reads. */
export interface EngineInfo {
  Name: string;
  ServerVersion: string;
  /** This engine's place in a swarm. */
  Swarm: {
    NodeID: string;
    NodeAddr: string;
    /** `inactive`, `pending`, `active`, `error` or `locked`. */
    LocalNodeState: string;
    /** True on a manager. */
    ControlAvailable: boolean;
    /** Nodes and managers in the swarm (managers only know). */
    Nodes?: number;
    Managers?: number;
  };
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

  /** What the engine is: its name, version, and place in a swarm. Slow-ish: it counts images and containers. */
  info(signal?: AbortSignal): Promise<EngineInfo> {
    return this.#transport.json("GET", "/info", { expect: [200], signal });
  }

  /** Resolves when the engine answers `GET /_ping`. */
  async ping(signal?: AbortSignal): Promise<void> {
    await this.#transport.call("GET", "/_ping", { signal });
  }
}
