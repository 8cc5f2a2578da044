/**
 * Swarm nodes: list, inspect, update (availability, role, labels).
 *
 * @see https://docs.docker.com/engine/api/v1.41/#tag/Node
 * @module
 */
import type { DockerTransport } from "./transport.ts";

/** What a node's owner wants of it. */
export interface NodeSpec {
  Name?: string;
  Labels?: Record<string, string>;
  Role: "worker" | "manager";
  /** `drain` moves its tasks elsewhere; `pause` keeps them but places no new ones. */
  Availability: "active" | "pause" | "drain";
}

/** A node as `GET /nodes` returns it, as much of it as FaaSO reads. */
export interface Node {
  ID: string;
  Version: { Index: number };
  CreatedAt: string;
  UpdatedAt: string;
  Spec: NodeSpec;
  Description: { Hostname: string; Engine?: { EngineVersion?: string } };
  /** `ready`, or `down` once the managers stopped hearing from it. */
  Status: { State: "unknown" | "down" | "ready" | "disconnected"; Message?: string; Addr?: string };
  ManagerStatus?: { Leader?: boolean; Reachability?: string; Addr?: string };
}

/** Node endpoints. */
export class Nodes {
  #transport: DockerTransport;

  constructor(transport: DockerTransport) {
    this.#transport = transport;
  }

  /** Lists the swarm's nodes, optionally filtered (`{ role: ["manager"] }`). */
  list(filters: Record<string, string[]> = {}, signal?: AbortSignal): Promise<Node[]> {
    return this.#transport.json("GET", "/nodes", { query: { filters }, expect: [200], signal });
  }

  /** Inspects a node by ID or hostname, or returns null when there is no such node. */
  inspectOrNull(id: string, signal?: AbortSignal): Promise<Node | null> {
    return this.#transport.jsonOrNull(`/nodes/${encodeURIComponent(id)}`, signal);
  }

  /**
   * Replaces a node's spec; `version` is its `Version.Index` as last read.
   *
   * @see https://docs.docker.com/engine/api/v1.41/#operation/NodeUpdate
   */
  async update(id: string, version: number, spec: NodeSpec, signal?: AbortSignal): Promise<void> {
    await this.#transport.call("POST", `/nodes/${encodeURIComponent(id)}/update`, {
      query: { version },
      body: spec,
      expect: [200],
      signal,
    });
  }
}
