/**
 * Networks: inspect, create, make sure one exists, disconnect a container.
 *
 * @see https://docs.docker.com/engine/api/v1.41/#tag/Network
 * @module
 */
import { DockerApiError } from "./errors.ts";
import type { DockerTransport } from "./transport.ts";

/** The parts of `GET /networks/{id}` FaaSO reads. */
export interface NetworkInspect {
  Id: string;
  Name: string;
  Driver: string;
  Scope: string;
  Attachable: boolean;
  Labels: Record<string, string> | null;
  Containers?: Record<string, { Name: string; IPv4Address: string }>;
}

/** Options for {@linkcode Networks.create}. */
export interface NetworkCreateOptions {
  /** `bridge` (default) or `overlay` (swarm). */
  driver?: string;
  /** Let plain containers join an overlay network. */
  attachable?: boolean;
  /** Labels to put on the network. */
  labels?: Record<string, string>;
}

/** Network endpoints. */
export class Networks {
  #transport: DockerTransport;

  constructor(transport: DockerTransport) {
    this.#transport = transport;
  }

  /** Inspects a network, or returns null when there is no such network. */
  inspectOrNull(name: string, signal?: AbortSignal): Promise<NetworkInspect | null> {
    return this.#transport.jsonOrNull(`/networks/${encodeURIComponent(name)}`, signal);
  }

  /** Creates a network and returns its ID. */
  async create(name: string, options: NetworkCreateOptions = {}, signal?: AbortSignal): Promise<string> {
    const created = await this.#transport.json<{ Id: string }>("POST", "/networks/create", {
      body: {
        Name: name,
        Driver: options.driver ?? "bridge",
        Attachable: options.attachable ?? false,
        Labels: options.labels ?? {},
        CheckDuplicate: true,
      },
      expect: [201],
      signal,
    });
    return created.Id;
  }

  /**
   * Returns the network, creating it first when it does not exist. Safe when
   * another process creates it at the same moment.
   */
  async ensure(name: string, options: NetworkCreateOptions = {}, signal?: AbortSignal): Promise<NetworkInspect> {
    const existing = await this.#inspectOne(name, signal);
    if (existing) return existing;
    try {
      await this.create(name, options, signal);
    } catch (error) {
      // 409: created by someone else in between, which is just as good.
      if (!(error instanceof DockerApiError && error.status === 409)) throw error;
    }
    const created = await this.#inspectOne(name, signal);
    if (!created) throw new Error(`Cannot create the network ${name}: it vanished right after creation`);
    return created;
  }

  /**
   * Inspects a network by name; when two processes created it at the same
   * moment (the engine's duplicate check is best effort: two `faaso up` on a
   * fresh engine made two `faaso-net`, and from then on every use of the name
   * failed as ambiguous), keeps the oldest and removes the others that have
   * no container. Every process that finds the duplicates picks the same one.
   */
  async #inspectOne(name: string, signal?: AbortSignal): Promise<NetworkInspect | null> {
    try {
      return await this.inspectOrNull(name, signal);
    } catch (error) {
      if (!(error instanceof DockerApiError && error.status === 400 && /ambiguous/.test(error.engineMessage))) {
        throw error;
      }
    }
    const filters = encodeURIComponent(JSON.stringify({ name: [name] }));
    const all = await this.#transport.json<(NetworkInspect & { Created: string })[]>(
      "GET",
      `/networks?filters=${filters}`,
      {
        signal,
      },
    );
    const same = all.filter((network) => network.Name === name)
      .sort((a, b) => Date.parse(a.Created) - Date.parse(b.Created) || a.Id.localeCompare(b.Id));
    for (const extra of same.slice(1)) {
      const full = await this.inspectOrNull(extra.Id, signal);
      if (full && Object.keys(full.Containers ?? {}).length === 0) {
        await this.#transport.call("DELETE", `/networks/${extra.Id}`, { expect: [204, 403, 404, 409], signal });
      }
    }
    return same[0] ? await this.inspectOrNull(same[0].Id, signal) : null;
  }

  /**
   * Disconnects a container from a network. With `force`, a name that no
   * container has any more still loses its endpoint there: that clears a
   * stale endpoint an engine crash left behind, which otherwise makes every
   * start of a container of that name fail with "endpoint with name NAME
   * already exists in network". Returns false when the engine knows no such
   * endpoint (or container).
   *
   * @see https://docs.docker.com/engine/api/v1.41/#operation/NetworkDisconnect
   */
  async disconnect(
    network: string,
    container: string,
    options: { force?: boolean; signal?: AbortSignal } = {},
  ): Promise<boolean> {
    const status = await this.#transport.call("POST", `/networks/${encodeURIComponent(network)}/disconnect`, {
      body: { Container: container, Force: options.force ?? false },
      expect: [200, 404],
      signal: options.signal,
    });
    return status === 200;
  }

  /** Removes a network. Returns false when there was no such network. */
  async remove(name: string, signal?: AbortSignal): Promise<boolean> {
    const status = await this.#transport.call("DELETE", `/networks/${encodeURIComponent(name)}`, {
      expect: [204, 404],
      signal,
    });
    return status === 204;
  }
}
