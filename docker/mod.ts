/**
 * A small Docker Engine API client over Deno's `fetch`. It knows nothing of
 * funkos: resources mirror the Engine API one to one.
 *
 * @example
 * ```ts
 * import { Docker } from "./docker/mod.ts";
 * const docker = Docker.fromEnv();
 * const running = await docker.containers.list({ label: ["faaso.funko"] }, { all: false });
 * ```
 *
 * @module
 */
import { Containers } from "./containers.ts";
import { Events } from "./events.ts";
import { Images } from "./images.ts";
import { Networks } from "./networks.ts";
import { System } from "./system.ts";
import { DEFAULT_DOCKER_HOST, DockerTransport, type DockerTransportOptions } from "./transport.ts";

export * from "./containers.ts";
export * from "./errors.ts";
export * from "./events.ts";
export * from "./images.ts";
export * from "./networks.ts";
export * from "./streams.ts";
export * from "./system.ts";
export * from "./transport.ts";

/** The Engine API, one property per resource. */
export class Docker {
  /** The request path all resources share. */
  readonly transport: DockerTransport;
  /** Container endpoints. */
  readonly containers: Containers;
  /** Image endpoints. */
  readonly images: Images;
  /** Network endpoints. */
  readonly networks: Networks;
  /** The event stream. */
  readonly events: Events;
  /** Version and ping. */
  readonly system: System;

  constructor(options: DockerTransportOptions = {}) {
    this.transport = new DockerTransport(options);
    this.containers = new Containers(this.transport);
    this.images = new Images(this.transport);
    this.networks = new Networks(this.transport);
    this.events = new Events(this.transport);
    this.system = new System(this.transport);
  }

  /** A client for the engine DOCKER_HOST names (the local socket when unset). */
  static fromEnv(): Docker {
    return new Docker({ host: Deno.env.get("DOCKER_HOST") || DEFAULT_DOCKER_HOST });
  }

  /** Releases connections. */
  close(): void {
    this.transport.close();
  }
}
