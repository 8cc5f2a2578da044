/**
 * Swarm tasks: the running (or past) copies of a service, one per slot and
 * attempt. Read-only: the swarm creates and stops them.
 *
 * @see https://docs.docker.com/engine/api/v1.41/#tag/Task
 * @module
 */
import { swarmLogs, type SwarmLogsOptions, type TaskSpec } from "./services.ts";
import type { LogChunk } from "./streams.ts";
import type { DockerTransport } from "./transport.ts";

/** Where a task is in its life, in the swarm's words. */
export type TaskState =
  | "new"
  | "allocated"
  | "pending"
  | "assigned"
  | "accepted"
  | "preparing"
  | "ready"
  | "starting"
  | "running"
  | "complete"
  | "shutdown"
  | "failed"
  | "rejected"
  | "remove"
  | "orphaned";

/** A task as `GET /tasks` and `GET /tasks/{id}` return it, as much of it as FaaSO reads. */
export interface Task {
  ID: string;
  Version: { Index: number };
  CreatedAt: string;
  UpdatedAt: string;
  Labels?: Record<string, string>;
  /** The service's task template as it was when this task was made. */
  Spec: TaskSpec;
  ServiceID: string;
  /** Its place among the service's replicas (1-based); a replacement takes the same slot. */
  Slot?: number;
  /** Empty until the scheduler placed it. */
  NodeID?: string;
  Status: {
    Timestamp: string;
    State: TaskState;
    Message?: string;
    /** Why it failed, when it did: "task: non-zero exit (3)", "No such image: ...". */
    Err?: string;
    ContainerStatus?: { ContainerID?: string; PID?: number; ExitCode?: number };
  };
  /** `running` while the swarm wants it; `shutdown` or `remove` once it is being replaced or removed. */
  DesiredState: TaskState;
  /** Its addresses on each network (`10.0.1.5/24`). */
  NetworksAttachments?: { Network: { ID: string; Spec: { Name: string } }; Addresses: string[] }[];
}

/** Task endpoints. */
export class Tasks {
  #transport: DockerTransport;

  constructor(transport: DockerTransport) {
    this.#transport = transport;
  }

  /**
   * Lists tasks, optionally filtered: `label` (the service's labels),
   * `service`, `node`, `desired-state`, `id`, `name`. Past tasks (history)
   * are included.
   */
  list(filters: Record<string, string[]> = {}, signal?: AbortSignal): Promise<Task[]> {
    return this.#transport.json("GET", "/tasks", { query: { filters }, expect: [200], signal });
  }

  /** Inspects a task, or returns null when there is no such task. */
  inspectOrNull(id: string, signal?: AbortSignal): Promise<Task | null> {
    return this.#transport.jsonOrNull(`/tasks/${encodeURIComponent(id)}`, signal);
  }

  /** A task's output, demultiplexed into stdout and stderr chunks, fetched from its node by the manager. */
  async logs(id: string, options: SwarmLogsOptions = {}): Promise<ReadableStream<LogChunk>> {
    return await swarmLogs(this.#transport, `/tasks/${encodeURIComponent(id)}/logs`, options);
  }
}
