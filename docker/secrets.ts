/**
 * Swarm secrets: create, list, inspect, remove. A secret's value goes in once
 * and is never returned by the engine; it is immutable, so a new value is a
 * new secret.
 *
 * @see https://docs.docker.com/engine/api/v1.41/#tag/Secret
 * @module
 */
import { Buffer } from "node:buffer";
import type { DockerTransport } from "./transport.ts";

/** A secret as the engine describes it: its name and labels, never its value. */
export interface Secret {
  ID: string;
  Version: { Index: number };
  CreatedAt: string;
  UpdatedAt: string;
  Spec: { Name: string; Labels?: Record<string, string> };
}

/** The largest value the swarm accepts (its limit is 500 KiB, exclusive). */
export const MAX_SWARM_SECRET_BYTES = 500 * 1024 - 1;

/** Secret endpoints. */
export class Secrets {
  #transport: DockerTransport;

  constructor(transport: DockerTransport) {
    this.#transport = transport;
  }

  /**
   * Creates a secret and returns its ID. Names are unique: 409 when taken.
   *
   * @see https://docs.docker.com/engine/api/v1.41/#operation/SecretCreate
   */
  async create(
    spec: { Name: string; Labels?: Record<string, string>; value: Uint8Array },
    signal?: AbortSignal,
  ): Promise<string> {
    const created = await this.#transport.json<{ ID: string }>("POST", "/secrets/create", {
      body: { Name: spec.Name, Labels: spec.Labels ?? {}, Data: Buffer.from(spec.value).toString("base64") },
      expect: [201],
      signal,
    });
    return created.ID;
  }

  /** Lists secrets, optionally filtered (`{ label: ["faaso.funko=hello"] }`, `{ name: [...] }`). */
  list(filters: Record<string, string[]> = {}, signal?: AbortSignal): Promise<Secret[]> {
    return this.#transport.json("GET", "/secrets", { query: { filters }, expect: [200], signal });
  }

  /** Inspects a secret by ID or name, or returns null when there is no such secret. */
  inspectOrNull(id: string, signal?: AbortSignal): Promise<Secret | null> {
    return this.#transport.jsonOrNull(`/secrets/${encodeURIComponent(id)}`, signal);
  }

  /**
   * Removes a secret. Returns false when there was no such secret; a secret a
   * service still uses is refused (409).
   */
  async remove(id: string, signal?: AbortSignal): Promise<boolean> {
    const status = await this.#transport.call("DELETE", `/secrets/${encodeURIComponent(id)}`, {
      expect: [204, 404],
      signal,
    });
    return status === 204;
  }
}
