/**
 * Swarm services: create, inspect, list, update (and roll back), remove, logs.
 * Only a swarm manager answers these.
 *
 * @see https://docs.docker.com/engine/api/v1.41/#tag/Service
 * @module
 */
import { requestLogs } from "./containers.ts";
import type { LogChunk } from "./streams.ts";
import { type DockerTransport, NO_REGISTRY_AUTH } from "./transport.ts";

/** A file a secret is mounted as, in a task's container. */
export interface SecretReference {
  File: { Name: string; UID: string; GID: string; Mode: number };
  SecretID: string;
  SecretName: string;
}

/** What a service's containers run, as much of it as FaaSO uses. */
export interface ContainerSpec {
  Image: string;
  Labels?: Record<string, string>;
  Command?: string[];
  Args?: string[];
  Hostname?: string;
  /** `KEY=value`; values may use Go templates such as `{{.Task.Name}}`. */
  Env?: string[];
  User?: string;
  Healthcheck?: { Test?: string[]; Interval?: number; Timeout?: number; Retries?: number; StartPeriod?: number };
  /** Nanoseconds between the stop signal and SIGKILL. */
  StopGracePeriod?: number;
  StopSignal?: string;
  Secrets?: SecretReference[];
  Mounts?: { Type: "bind" | "volume" | "tmpfs"; Source?: string; Target: string; ReadOnly?: boolean }[];
  Init?: boolean;
}

/** How a service's tasks run: their container, limits, restarts, placement and networks. */
export interface TaskSpec {
  ContainerSpec: ContainerSpec;
  Resources?: {
    Limits?: { NanoCPUs?: number; MemoryBytes?: number };
    Reservations?: { NanoCPUs?: number; MemoryBytes?: number };
  };
  RestartPolicy?: { Condition?: "none" | "on-failure" | "any"; Delay?: number; MaxAttempts?: number; Window?: number };
  Placement?: { Constraints?: string[]; MaxReplicas?: number };
  Networks?: { Target: string; Aliases?: string[] }[];
  /** Raising it makes an update replace every task even when nothing else changed. */
  ForceUpdate?: number;
}

/** How an update (or a rollback) replaces tasks. Durations in nanoseconds. */
export interface UpdateConfig {
  /** Tasks replaced at once; 0 means all. */
  Parallelism?: number;
  Delay?: number;
  FailureAction?: "continue" | "pause" | "rollback";
  /** How long after each task's update a failure still counts. */
  Monitor?: number;
  MaxFailureRatio?: number;
  Order?: "stop-first" | "start-first";
}

/** A published port. */
export interface EndpointPortConfig {
  Protocol?: "tcp" | "udp" | "sctp";
  TargetPort: number;
  PublishedPort?: number;
  PublishMode?: "ingress" | "host";
}

/** The body of `POST /services/create`, and `Spec` of a service. */
export interface ServiceSpec {
  Name: string;
  Labels?: Record<string, string>;
  TaskTemplate: TaskSpec;
  Mode?: { Replicated?: { Replicas?: number }; Global?: Record<string, never> };
  UpdateConfig?: UpdateConfig;
  RollbackConfig?: UpdateConfig;
  /** `dnsrr` resolves the service's name to its tasks' addresses instead of a virtual IP. */
  EndpointSpec?: { Mode?: "vip" | "dnsrr"; Ports?: EndpointPortConfig[] };
}

/** Where a rolling update is. */
export type UpdateState =
  | "updating"
  | "paused"
  | "completed"
  | "rollback_started"
  | "rollback_paused"
  | "rollback_completed";

/** A service as `GET /services/{id}` returns it. */
export interface Service {
  ID: string;
  /** The version an update must name, so that two writers cannot overwrite each other. */
  Version: { Index: number };
  CreatedAt: string;
  UpdatedAt: string;
  Spec: ServiceSpec;
  PreviousSpec?: ServiceSpec;
  UpdateStatus?: { State?: UpdateState; StartedAt?: string; CompletedAt?: string; Message?: string };
}

/** Options for {@linkcode Services.update}. */
export interface ServiceUpdateOptions {
  /** `previous`: roll back to the previous spec (the spec sent is then ignored). */
  rollback?: "previous";
  /** Aborts the request. */
  signal?: AbortSignal;
}

/** Options for {@linkcode Services.logs} and `Tasks.logs`. */
export interface SwarmLogsOptions {
  /** Keep the stream open and send new output as it comes. */
  follow?: boolean;
  /** Only the last N lines (per task). */
  tail?: number;
  /** Only output since this Unix time (seconds). */
  since?: number;
  /** Prefix each line with an RFC 3339 timestamp. */
  timestamps?: boolean;
  /** Prefix each line with `com.docker.swarm.node.id=...,...` details. */
  details?: boolean;
  /** Aborts the stream. */
  signal?: AbortSignal;
}

/** Service endpoints. */
export class Services {
  #transport: DockerTransport;

  constructor(transport: DockerTransport) {
    this.#transport = transport;
  }

  /** Lists services, optionally filtered (`{ label: ["faaso.funko"] }`, `{ name: [...] }`). */
  list(filters: Record<string, string[]> = {}, signal?: AbortSignal): Promise<Service[]> {
    return this.#transport.json("GET", "/services", { query: { filters }, expect: [200], signal });
  }

  /** Inspects a service by ID or name, or returns null when there is no such service. */
  inspectOrNull(id: string, signal?: AbortSignal): Promise<Service | null> {
    return this.#transport.jsonOrNull(`/services/${encodeURIComponent(id)}`, signal);
  }

  /**
   * Creates a service and returns its ID and the engine's warning, if any
   * (e.g. an image it could not resolve to a digest).
   *
   * @see https://docs.docker.com/engine/api/v1.41/#operation/ServiceCreate
   */
  async create(spec: ServiceSpec, signal?: AbortSignal): Promise<{ ID: string; Warning?: string }> {
    return await this.#transport.json("POST", "/services/create", {
      body: spec,
      headers: { "x-registry-auth": NO_REGISTRY_AUTH },
      expect: [201],
      signal,
    });
  }

  /**
   * Replaces a service's spec (a rolling update when its tasks change), or
   * rolls it back to its previous spec. `version` is the service's
   * `Version.Index` as last read: a stale one is refused.
   *
   * @see https://docs.docker.com/engine/api/v1.41/#operation/ServiceUpdate
   */
  async update(
    id: string,
    version: number,
    spec: ServiceSpec,
    options: ServiceUpdateOptions = {},
  ): Promise<{ Warnings?: string[] | null }> {
    return await this.#transport.json("POST", `/services/${encodeURIComponent(id)}/update`, {
      query: { version, rollback: options.rollback },
      body: spec,
      headers: { "x-registry-auth": NO_REGISTRY_AUTH },
      expect: [200],
      signal: options.signal,
    });
  }

  /** Removes a service (its tasks stop). Returns false when there was no such service. */
  async remove(id: string, signal?: AbortSignal): Promise<boolean> {
    const status = await this.#transport.call("DELETE", `/services/${encodeURIComponent(id)}`, {
      expect: [200, 404],
      signal,
    });
    return status === 200;
  }

  /** The output of every task of a service, demultiplexed into stdout and stderr chunks. */
  async logs(id: string, options: SwarmLogsOptions = {}): Promise<ReadableStream<LogChunk>> {
    return await swarmLogs(this.#transport, `/services/${encodeURIComponent(id)}/logs`, options);
  }
}

/** `GET .../logs` of a service or a task: the same framing as container logs (swarm tasks have no TTY here). */
export async function swarmLogs(
  transport: DockerTransport,
  path: string,
  options: SwarmLogsOptions,
): Promise<ReadableStream<LogChunk>> {
  return await requestLogs(transport, path, { ...options, tty: false });
}
