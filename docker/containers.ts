/**
 * Containers: create, start, stop, pause, unpause, remove, list, inspect, logs, wait.
 *
 * @see https://docs.docker.com/engine/api/v1.41/#tag/Container
 * @module
 */
import { type LogChunk, LogDemuxStream } from "./streams.ts";
import type { DockerTransport } from "./transport.ts";

/** The health of a container with a healthcheck. */
export type HealthStatus = "starting" | "healthy" | "unhealthy";

/** A container as `GET /containers/json` lists it. */
export interface ContainerSummary {
  Id: string;
  Names: string[];
  Image: string;
  ImageID: string;
  Created: number;
  /** `created`, `running`, `paused`, `restarting`, `removing`, `exited` or `dead`. */
  State: string;
  /** Human status, e.g. "Up 5 minutes (healthy)". */
  Status: string;
  Labels: Record<string, string>;
  NetworkSettings?: { Networks?: Record<string, { IPAddress?: string }> };
}

/** The parts of `GET /containers/{id}/json` FaaSO reads. */
export interface ContainerInspect {
  Id: string;
  Name: string;
  Created: string;
  Image: string;
  RestartCount: number;
  State: {
    Status: string;
    Running: boolean;
    Paused: boolean;
    /** Whether the kernel's OOM killer ended its last run (its memory limit). */
    OOMKilled: boolean;
    /** Its main process's ID on the host (0 when it does not run). */
    Pid: number;
    Restarting: boolean;
    ExitCode: number;
    StartedAt: string;
    FinishedAt: string;
    Error?: string;
    Health?: { Status: HealthStatus | "none"; FailingStreak: number; Log?: { Output: string }[] };
  };
  Config: {
    Hostname: string;
    Image: string;
    Tty: boolean;
    Env: string[] | null;
    Labels: Record<string, string> | null;
  };
  HostConfig: {
    RestartPolicy?: { Name: string; MaximumRetryCount?: number };
    Memory?: number;
    NanoCpus?: number;
    [key: string]: unknown;
  };
  /** Volumes and bind mounts, with the host path (`Source`) of each. */
  Mounts?: { Type: string; Source: string; Destination: string }[];
  NetworkSettings: {
    Networks: Record<string, { IPAddress: string; Aliases: string[] | null }>;
    /** Published ports: container port -> host bindings. */
    Ports?: Record<string, { HostIp: string; HostPort: string }[] | null>;
  };
}

/** The body of `POST /containers/create`, as much of it as FaaSO uses. */
export interface ContainerCreateBody {
  Image: string;
  Hostname?: string;
  Env?: string[];
  Labels?: Record<string, string>;
  Cmd?: string[];
  Tty?: boolean;
  ExposedPorts?: Record<string, Record<string, never>>;
  Healthcheck?: {
    Test?: string[];
    Interval?: number;
    Timeout?: number;
    Retries?: number;
    StartPeriod?: number;
  };
  HostConfig?: {
    NetworkMode?: string;
    RestartPolicy?: { Name: "no" | "always" | "unless-stopped" | "on-failure"; MaximumRetryCount?: number };
    Binds?: string[];
    Memory?: number;
    NanoCpus?: number;
    PortBindings?: Record<string, { HostIp?: string; HostPort?: string }[]>;
    AutoRemove?: boolean;
    Privileged?: boolean;
  };
  NetworkingConfig?: {
    EndpointsConfig?: Record<string, { Aliases?: string[] }>;
  };
}

/** Options for {@linkcode Containers.logs}. */
export interface LogsOptions {
  /** Keep the stream open and send new output as it comes. */
  follow?: boolean;
  /** Only the last N lines (per container). */
  tail?: number;
  /** Only output since this Unix time (seconds). */
  since?: number;
  /** Prefix each line with an RFC 3339 timestamp. */
  timestamps?: boolean;
  /** Whether the container has a TTY (raw, unframed output). */
  tty?: boolean;
  /** Aborts the stream. */
  signal?: AbortSignal;
}

/** Container endpoints. */
export class Containers {
  #transport: DockerTransport;

  constructor(transport: DockerTransport) {
    this.#transport = transport;
  }

  /** Creates a container and returns its ID. */
  async create(name: string, body: ContainerCreateBody, signal?: AbortSignal): Promise<string> {
    const created = await this.#transport.json<{ Id: string }>("POST", "/containers/create", {
      query: { name },
      body,
      expect: [201],
      signal,
    });
    return created.Id;
  }

  /** Starts a container (already running is fine). */
  async start(id: string, signal?: AbortSignal): Promise<void> {
    await this.#transport.call("POST", `/containers/${id}/start`, { expect: [204, 304], signal });
  }

  /** Stops a container, killing it after `timeoutSeconds` (already stopped is fine). */
  async stop(id: string, timeoutSeconds = 10, signal?: AbortSignal): Promise<void> {
    await this.#transport.call("POST", `/containers/${id}/stop`, {
      query: { t: timeoutSeconds },
      expect: [204, 304],
      signal,
    });
  }

  /**
   * Freezes every process of a running container (the cgroup freezer): no CPU,
   * memory kept, connections made to it wait in the kernel.
   *
   * @see https://docs.docker.com/engine/api/v1.41/#operation/ContainerPause
   */
  async pause(id: string, signal?: AbortSignal): Promise<void> {
    await this.#transport.call("POST", `/containers/${id}/pause`, { expect: [204], signal });
  }

  /**
   * Thaws a paused container.
   *
   * @see https://docs.docker.com/engine/api/v1.41/#operation/ContainerUnpause
   */
  async unpause(id: string, signal?: AbortSignal): Promise<void> {
    await this.#transport.call("POST", `/containers/${id}/unpause`, { expect: [204], signal });
  }

  /**
   * Renames a container (a `rename` event).
   *
   * @see https://docs.docker.com/engine/api/v1.41/#operation/ContainerRename
   */
  async rename(id: string, name: string, signal?: AbortSignal): Promise<void> {
    await this.#transport.call("POST", `/containers/${id}/rename`, { query: { name }, expect: [204], signal });
  }

  /**
   * Changes a container's resources or restart policy while it runs.
   *
   * @see https://docs.docker.com/engine/api/v1.41/#operation/ContainerUpdate
   */
  async update(
    id: string,
    body: { RestartPolicy?: { Name: string; MaximumRetryCount?: number }; Memory?: number; NanoCpus?: number },
    signal?: AbortSignal,
  ): Promise<void> {
    await this.#transport.call("POST", `/containers/${id}/update`, { body, expect: [200], signal });
  }

  /** Sends a signal to a running container. */
  async kill(id: string, killSignal = "SIGKILL", signal?: AbortSignal): Promise<void> {
    await this.#transport.call("POST", `/containers/${id}/kill`, {
      query: { signal: killSignal },
      expect: [204],
      signal,
    });
  }

  /**
   * Removes a container. Returns false when there was no such container.
   * `force` kills a running one first.
   */
  async remove(id: string, options: { force?: boolean; signal?: AbortSignal } = {}): Promise<boolean> {
    const status = await this.#transport.call("DELETE", `/containers/${id}`, {
      query: { force: options.force ? "1" : undefined, v: "1" },
      // 409: removal already in progress, which is what we want anyway.
      expect: [204, 404, 409],
      signal: options.signal,
    });
    return status === 204;
  }

  /** Lists containers, all of them (not only running) by default. */
  list(
    filters: Record<string, string[]> = {},
    options: { all?: boolean; signal?: AbortSignal } = {},
  ): Promise<ContainerSummary[]> {
    return this.#transport.json("GET", "/containers/json", {
      query: listQuery(filters, options),
      signal: options.signal,
    });
  }

  /** Asks for {@linkcode list}'s answer now, for a later `list` with the same arguments (see `DockerTransport.prefetch`). */
  prefetchList(filters: Record<string, string[]> = {}, options: { all?: boolean } = {}): void {
    this.#transport.prefetch("/containers/json", listQuery(filters, options));
  }

  /** Inspects a container, or returns null when there is no such container. */
  inspectOrNull(id: string, signal?: AbortSignal): Promise<ContainerInspect | null> {
    return this.#transport.jsonOrNull(`/containers/${id}/json`, signal);
  }

  /** Streams a container's output, demultiplexed into stdout and stderr chunks. */
  async logs(id: string, options: LogsOptions = {}): Promise<ReadableStream<LogChunk>> {
    return await requestLogs(this.#transport, `/containers/${id}/logs`, options);
  }

  /** Waits until a container stops and returns its exit code. */
  async wait(
    id: string,
    condition: "not-running" | "next-exit" | "removed" = "not-running",
    signal?: AbortSignal,
  ): Promise<number> {
    const result = await this.#transport.json<{ StatusCode: number }>("POST", `/containers/${id}/wait`, {
      query: { condition },
      expect: [200],
      signal,
    });
    return result.StatusCode;
  }
}

function listQuery(filters: Record<string, string[]>, options: { all?: boolean }) {
  return { all: options.all ?? true ? "1" : "0", filters };
}

/**
 * `GET .../logs` of a container, a service or a task, both streams,
 * demultiplexed (raw when `tty`: a TTY's output has no framing).
 */
export async function requestLogs(
  transport: DockerTransport,
  path: string,
  options: LogsOptions & { details?: boolean },
): Promise<ReadableStream<LogChunk>> {
  const response = await transport.request("GET", path, {
    query: {
      stdout: "1",
      stderr: "1",
      follow: options.follow ? "1" : undefined,
      tail: options.tail !== undefined ? String(options.tail) : undefined,
      since: options.since,
      timestamps: options.timestamps ? "1" : undefined,
      details: options.details ? "1" : undefined,
    },
    expect: [200],
    signal: options.signal,
  });
  const body = response.body ?? new ReadableStream<Uint8Array>({ start: (c) => c.close() });
  return body.pipeThrough(new LogDemuxStream(options.tty ?? false));
}
