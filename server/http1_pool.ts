/**
 * A pooled HTTP/1.1 client for the proxy's upstreams (instances on
 * faaso-net). It keeps connections alive and reuses them, streams bodies both
 * ways, and passes bodies through untouched (no decompression). Measured: about
 * 1.5x the requests/s of `fetch` for the same proxy, which also decodes
 * gzip and brotli on its own.
 *
 * @module
 */
import { Http1Connection, UpstreamError } from "./http1_connection.ts";

export { UpstreamError } from "./http1_connection.ts";

/** A request to an upstream. */
export interface UpstreamRequest {
  method: string;
  /** Path and query, e.g. `/users?id=3`. */
  target: string;
  /** Headers to send, hop-by-hop ones already removed; Host is set here. */
  headers: Iterable<[string, string]>;
  /** The body to stream, if any. */
  body: ReadableStream<Uint8Array> | null;
  /** Aborts the request: the connection is closed. */
  signal?: AbortSignal;
  /** Fails with `timeout` when the response's head takes longer. */
  headTimeoutMs?: number;
}

/** An upstream's answer. */
export interface UpstreamResponse {
  status: number;
  statusText: string;
  /** Response headers, hop-by-hop ones included (the caller drops them). */
  headers: [string, string][];
  /** The body: bytes when small and already read, else a stream; null when there is none. */
  body: Uint8Array<ArrayBuffer> | ReadableStream<Uint8Array<ArrayBuffer>> | null;
  /** Settles when the body has been read to its end, or cancelled. */
  done: Promise<void>;
}

/** Options for {@linkcode Http1Pool}. */
export interface Http1PoolOptions {
  /** Idle connections kept per upstream. Default 256. */
  maxIdlePerHost?: number;
  /** Idle connections older than this are not reused. Default 4 s (under common 5 s server timeouts). */
  idleTimeoutMs?: number;
}

/** Keep-alive connections per `host:port`. */
export class Http1Pool {
  #idle = new Map<string, Http1Connection[]>();
  #maxIdle: number;
  #idleTimeoutMs: number;

  constructor(options: Http1PoolOptions = {}) {
    this.#maxIdle = options.maxIdlePerHost ?? 256;
    this.#idleTimeoutMs = options.idleTimeoutMs ?? 4000;
  }

  /**
   * Sends a request and resolves with the response head. A reused connection
   * that the upstream had closed is replaced transparently when the request
   * has no body. Fails with {@linkcode UpstreamError}.
   */
  async request(hostname: string, port: number, request: UpstreamRequest): Promise<UpstreamResponse> {
    const key = `${hostname}:${port}`;
    let connection = this.#take(key);
    const reused = connection !== undefined;
    connection ??= await Http1Connection.open(hostname, port);
    try {
      return await connection.send(request, key, (done) => this.#release(key, done));
    } catch (error) {
      const stale = reused && request.body === null && error instanceof UpstreamError && error.beforeResponse &&
        error.kind !== "timeout" && error.kind !== "aborted";
      if (!stale) throw error;
      const fresh = await Http1Connection.open(hostname, port);
      return await fresh.send(request, key, (done) => this.#release(key, done));
    }
  }

  /** Closes every idle connection. */
  close(): void {
    for (const connections of this.#idle.values()) for (const connection of connections) connection.close();
    this.#idle.clear();
  }

  #take(key: string): Http1Connection | undefined {
    const idle = this.#idle.get(key);
    while (idle && idle.length > 0) {
      const connection = idle.pop()!;
      if (Date.now() - connection.idleSince < this.#idleTimeoutMs) return connection;
      connection.close();
    }
    return undefined;
  }

  #release(key: string, connection: Http1Connection): void {
    let idle = this.#idle.get(key);
    if (!idle) this.#idle.set(key, idle = []);
    if (idle.length >= this.#maxIdle) {
      connection.close();
      return;
    }
    connection.idleSince = Date.now();
    idle.push(connection);
  }
}
