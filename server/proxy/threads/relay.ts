/**
 * Requests a worker thread hands to the main thread: everything but a
 * `/funko/` request with an instance ready (the admin API and web UI,
 * metrics, async calls, requests that wait for a wake). The worker sends
 * them over loopback to the main thread's relay listener, with the client's
 * address and Host in headers that only a worker can set: they carry a token
 * the main thread made at start, and the worker drops a client's own copies.
 *
 * @module
 */
import {
  type Http1Pool,
  jsonAnswer,
  type ServerRequest,
  type ServerResponse,
  UpstreamError,
} from "../../../http1/mod.ts";
import { withoutHopByHop } from "../forward.ts";
import { relayWebSocket } from "../websocket_relay.ts";

const TOKEN = "x-faaso-relay";
const CLIENT = "x-faaso-client";
const HOST = "x-faaso-host";

/** A random token for one `faaso serve`. */
export function relayToken(): string {
  return [...crypto.getRandomValues(new Uint8Array(24))].map((byte) => byte.toString(16).padStart(2, "0")).join("");
}

/** The request's headers as the main thread gets them: hop-by-hop ones dropped, the relay's own added. */
export function relayHeaders(request: ServerRequest, token: string): [string, string][] {
  const own = request.headers.filter(([name]) => name !== TOKEN && name !== CLIENT && name !== HOST);
  const { hostname, port } = request.remoteAddr;
  return [
    ...withoutHopByHop(own),
    [TOKEN, token],
    [CLIENT, `${port} ${hostname}`],
    [HOST, request.header("host") ?? ""],
  ];
}

/**
 * The main thread's side: whether `request` came from a worker (the token
 * matches); if so, its client's address and Host are restored and the
 * relay's headers removed.
 */
export function acceptRelayed(request: ServerRequest, token: string): boolean {
  let sent: string | undefined;
  let client: string | undefined;
  let host: string | undefined;
  const headers: [string, string][] = [];
  for (const pair of request.headers) {
    if (pair[0] === TOKEN) sent = pair[1];
    else if (pair[0] === CLIENT) client = pair[1];
    else if (pair[0] === HOST) host = pair[1];
    else if (pair[0] !== "host") headers.push(pair);
  }
  if (sent === undefined || !sameText(sent, token) || client === undefined) return false;
  if (host) headers.push(["host", host]);
  const space = client.indexOf(" ");
  request.headers = headers;
  request.remoteAddr = { transport: "tcp", hostname: client.slice(space + 1), port: Number(client.slice(0, space)) };
  return true;
}

/**
 * The worker's side: sends a request to the main thread at
 * `127.0.0.1:port` and passes its answer back, streams and WebSockets
 * included, with no time limit of its own (followed logs, held requests).
 */
export function relayToMain(
  pool: Http1Pool,
  port: number,
  token: string,
): (request: ServerRequest) => Promise<ServerResponse | null> {
  return async (request) => {
    const headers = relayHeaders(request, token);
    if (request.header("upgrade")?.toLowerCase() === "websocket") {
      return await relayWebSocket(request, "127.0.0.1", port, request.target, headers);
    }
    try {
      const upstream = await pool.request("127.0.0.1", port, {
        method: request.method,
        target: request.target,
        headers,
        body: request.body,
        client: request,
        headTimeoutMs: 0,
        bodyTimeoutMs: 0,
      });
      return {
        status: upstream.status,
        statusText: upstream.statusText,
        headers: withoutHopByHop(upstream.headers),
        body: upstream.body,
      };
    } catch (error) {
      if (error instanceof UpstreamError && error.kind === "aborted") return { status: 499, headers: [], body: null };
      return jsonAnswer(502, "relay_failed", `FaaSO's main thread did not answer: ${(error as Error).message}`);
    }
  };
}

/** Compares two texts in a time that does not depend on where they differ. */
function sameText(a: string, b: string): boolean {
  if (a.length !== b.length) return false;
  let difference = 0;
  for (let i = 0; i < a.length; i++) difference |= a.charCodeAt(i) ^ b.charCodeAt(i);
  return difference === 0;
}
