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
import { Nodes } from "./nodes.ts";
import { Secrets } from "./secrets.ts";
import { Services } from "./services.ts";
import { Swarm } from "./swarm.ts";
import { System } from "./system.ts";
import { Tasks } from "./tasks.ts";
import { DEFAULT_DOCKER_HOST, DockerTransport, type DockerTransportOptions } from "./transport.ts";

export * from "./containers.ts";
export * from "./errors.ts";
export * from "./events.ts";
export * from "./images.ts";
export * from "./networks.ts";
export * from "./nodes.ts";
export * from "./secrets.ts";
export * from "./services.ts";
export * from "./streams.ts";
export * from "./swarm.ts";
export * from "./system.ts";
export * from "./tasks.ts";
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
  /** Version, info and ping. */
  readonly system: System;
  /** The swarm this engine manages. */
  readonly swarm: Swarm;
  /** Swarm services (managers only). */
  readonly services: Services;
  /** Swarm tasks (managers only). */
  readonly tasks: Tasks;
  /** Swarm nodes (managers only). */
  readonly nodes: Nodes;
  /** Swarm secrets (managers only). */
  readonly secrets: Secrets;

  constructor(options: DockerTransportOptions = {}) {
    this.transport = new DockerTransport(options);
    this.containers = new Containers(this.transport);
    this.images = new Images(this.transport);
    this.networks = new Networks(this.transport);
    this.events = new Events(this.transport);
    this.system = new System(this.transport);
    this.swarm = new Swarm(this.transport);
    this.services = new Services(this.transport);
    this.tasks = new Tasks(this.transport);
    this.nodes = new Nodes(this.transport);
    this.secrets = new Secrets(this.transport);
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
