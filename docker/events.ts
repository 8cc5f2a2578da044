/**
 * The engine's event stream (`GET /events`), as an async iterable.
 *
 * @see https://docs.docker.com/engine/api/v1.41/#operation/SystemEvents
 * @module
 */
import { jsonLines } from "./streams.ts";
import type { DockerTransport } from "./transport.ts";

/** One engine event. `Action` is e.g. `start`, `die`, `destroy`, `health_status: healthy`. */
export interface DockerEvent {
  Type: string;
  Action: string;
  Actor: { ID: string; Attributes: Record<string, string> };
  /** Unix time in seconds. */
  time: number;
  /** Unix time in nanoseconds. */
  timeNano: number;
}

/** Options for {@linkcode Events.stream}. */
export interface EventsOptions {
  /** Engine filters, e.g. `{ type: ["container"], label: ["faaso.funko"] }`. */
  filters?: Record<string, string[]>;
  /** Replay events since this Unix time (seconds). */
  since?: number;
  /** End the stream at this Unix time (seconds): with `since`, a look at past events that ends by itself. */
  until?: number;
  /** Ends the stream. */
  signal?: AbortSignal;
}

/** Event endpoints. */
export class Events {
  #transport: DockerTransport;

  constructor(transport: DockerTransport) {
    this.#transport = transport;
  }

  /**
   * Opens the event stream. The returned promise settles once the engine has
   * accepted the subscription, so no event after that point is missed; the
   * stream then ends when the engine goes away or `signal` aborts.
   */
  async stream(options: EventsOptions = {}): Promise<ReadableStream<DockerEvent>> {
    const response = await this.#transport.request("GET", "/events", {
      query: { filters: options.filters, since: options.since, until: options.until },
      expect: [200],
      signal: options.signal,
    });
    const body = response.body ?? new ReadableStream<Uint8Array>({ start: (c) => c.close() });
    return jsonLines<DockerEvent>(body);
  }
}
