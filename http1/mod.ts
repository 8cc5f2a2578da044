/**
 * An HTTP/1.1 server and pooled client on plain TCP, for a reverse proxy that
 * passes heads and bodies from socket to socket without building Fetch API
 * objects. It knows nothing of FaaSO: `server/` builds the proxy and the admin
 * side on it.
 *
 * - {@linkcode Http1Server}: the listener, one handler per request
 *   ({@linkcode ServerRequest} in, {@linkcode ServerResponse} or null out).
 * - {@linkcode Http1Pool}: the upstream client, keep-alive connections per
 *   `host:port`; failures are {@linkcode UpstreamError}s.
 * - {@linkcode serveFetch}: answers a listener request with a Fetch API
 *   handler (a Hono app's `fetch`).
 * - Head parsing and socket helpers, for a handler that takes a connection
 *   over (a WebSocket tunnel).
 *
 * @example Answer every request with "hi"
 * ```ts
 * import { Http1Server } from "./mod.ts";
 *
 * const server = Http1Server.listen({
 *   hostname: "127.0.0.1",
 *   port: 0,
 *   handler: () => ({ status: 200, headers: [["content-type", "text/plain"]], body: new TextEncoder().encode("hi") }),
 * });
 * console.log(`listening on port ${server.addr.port}`);
 * server.shutdown();
 * ```
 *
 * @module
 */
export { type FetchHandler, serveFetch } from "./fetch_bridge.ts";
export {
  BadRequestError,
  checkPartialResponseHead,
  type Framing,
  type Head,
  HeadTooLargeError,
  listElements,
  parseHead,
  UpstreamError,
} from "./head.ts";
export type { UpstreamErrorKind } from "./head.ts";
export { checkPartialRequestHead, parseRequestHead, type RequestHead } from "./request_head.ts";
export { Http1Pool, IDEMPOTENT, signalGone } from "./pool.ts";
export { Http1Reader } from "./reader.ts";
export { closeQuietly, jsonAnswer, latin1Bytes, type ServerResponse, writeAll } from "./response.ts";
export { type Http1Handler, Http1Server, type Http1ServerOptions, type ServerRequest } from "./server.ts";
export type { ClientGone, UpstreamRequest, UpstreamResponse } from "./types.ts";
