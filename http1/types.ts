/**
 * The types the listener, the upstream client and its connections share, in a
 * module of their own so that none of them imports another for a type.
 *
 * @module
 */

/**
 * Tells an upstream request that its client went away, so that the connection
 * to the instance is closed and the instance sees it too. The listener's
 * requests are one: setting a callback costs nothing per request, where an
 * AbortSignal listener allocated ~600 bytes and two EventTarget calls on every
 * proxied request. `signalGone` (pool.ts) adapts an AbortSignal.
 */
export interface ClientGone {
  /** True once the client has gone. */
  readonly gone: boolean;
  /** Sets the one callback for when the client goes; undefined removes it. */
  onGone(callback: (() => void) | undefined): void;
}

/** A request to an upstream. */
export interface UpstreamRequest {
  method: string;
  /** Path and query, e.g. `/users?id=3`. */
  target: string;
  /** Headers to send, hop-by-hop ones already removed; Host is set here. */
  headers: Iterable<[string, string]>;
  /** The body to stream, if any. */
  body: ReadableStream<Uint8Array> | null;
  /** The client: when it goes, the request is aborted and the connection closed. */
  client?: ClientGone;
  /** Fails with `timeout` when the response's head takes longer (counted from the end of the request). */
  headTimeoutMs?: number;
  /**
   * Fails with `timeout` when sending the request's body or reading the
   * response's body makes no progress for this long. Default 60 s (nginx's
   * `proxy_send_timeout` and `proxy_read_timeout`).
   */
  bodyTimeoutMs?: number;
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
