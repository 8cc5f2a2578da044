/**
 * The reverse proxy: `/funko/NAME/REST` goes to a ready instance of NAME as
 * `/REST`. Bodies stream both ways, WebSockets are relayed, a client that goes
 * away aborts the upstream request.
 *
 * @module
 */
import { jsonError } from "./errors.ts";
import { Http1Pool, IDEMPOTENT, UpstreamError, type UpstreamResponse } from "./http1_pool.ts";
import { type Endpoint, FUNKO_PORT, type RoutingTable } from "./routing_table.ts";
import { relayWebSocket } from "./websocket_relay.ts";

/** Headers that concern one connection only (RFC 9110 section 7.6.1), never forwarded. */
const HOP_BY_HOP = new Set([
  "connection",
  "keep-alive",
  "proxy-authenticate",
  "proxy-authorization",
  "proxy-connection",
  "te",
  "trailer",
  "transfer-encoding",
  "upgrade",
]);

const PREFIX = "/funko/";

/** How long a request may wait for a starting instance (a cold start, later a wake from zero). */
const WAIT_FOR_INSTANCE_MS = 10_000;

/** Options for {@linkcode createProxy}. */
export interface ProxyOptions {
  /** Where instances are. */
  table: RoutingTable;
  /** Whether a funko with no instance exists at all (has an image): 503 rather than 404. */
  funkoExists: (funko: string) => Promise<boolean>;
  /** Called when an instance refused a connection, so it gets probed. */
  onUnreachable?: (endpoint: Endpoint) => void;
  /** How long to wait for an upstream's response headers. Default 60 s. */
  upstreamTimeoutMs?: number;
}

/** The client's address, as Deno.serve reports it. */
export interface ClientInfo {
  remoteAddr: { hostname: string } | Deno.Addr;
}

/** Handles one proxied request. */
export type ProxyHandler = ((request: Request, client?: ClientInfo) => Promise<Response>) & {
  /** Closes the idle upstream connections. */
  close(): void;
};

/** Whether a request URL is under `/funko/`: the proxy's fast path, before any router. */
export function isFunkoUrl(url: string): boolean {
  return url.startsWith(PREFIX, url.indexOf("/", url.indexOf("//") + 2));
}

/** Makes the `/funko/` request handler. */
export function createProxy(options: ProxyOptions): ProxyHandler {
  const upstreamTimeoutMs = options.upstreamTimeoutMs ?? 60_000;
  const table = options.table;
  const pool = new Http1Pool();

  async function proxyFunko(request: Request, client?: ClientInfo): Promise<Response> {
    const target = parseTarget(request.url);
    if (!target) return jsonError(404, "not_found", "Use /funko/NAME/ to reach a funko");
    if (target.rest === null) {
      return new Response(null, { status: 308, headers: { location: `${PREFIX}${target.funko}/${target.query}` } });
    }
    let found = table.pick(target.funko);
    if (!found && table.hasPending(target.funko)) {
      found = await table.waitForReady(target.funko, WAIT_FOR_INSTANCE_MS, request.signal);
    }
    if (!found) {
      if (table.knows(target.funko) || await options.funkoExists(target.funko)) {
        return jsonError(503, "no_instance", `Funko ${target.funko} has no healthy instance right now`, {
          "retry-after": "2",
        });
      }
      return jsonError(404, "unknown_funko", `There is no funko named ${target.funko}`);
    }
    let endpoint: Endpoint = found;
    const headers = forwardHeaders(request, target.funko, client);
    if (request.headers.get("upgrade")?.toLowerCase() === "websocket") {
      return relayWebSocket(request, `ws${endpoint.origin.slice(4)}${target.rest}${target.query}`, headers);
    }
    for (let attempt = 0;; attempt++) {
      endpoint.inFlight++;
      try {
        const upstream = await pool.request(endpoint.address, FUNKO_PORT, {
          method: request.method,
          target: target.rest + target.query,
          headers,
          body: request.body,
          signal: request.signal,
          headTimeoutMs: upstreamTimeoutMs,
        });
        const response = toResponse(upstream);
        const done = endpoint;
        upstream.done.then(() => done.inFlight--);
        return response;
      } catch (error) {
        endpoint.inFlight--;
        const failure = error instanceof UpstreamError ? error : new UpstreamError("reset", String(error), false);
        if (failure.kind === "aborted") return new Response(null, { status: 499 });
        if (failure.kind === "timeout") {
          return jsonError(504, "upstream_timeout", `Funko ${target.funko} did not answer in ${upstreamTimeoutMs} ms`);
        }
        if (failure.kind === "connect") {
          table.update(endpoint.id, { suspect: true });
          options.onUnreachable?.(endpoint);
        }
        // Nothing was sent (connect), or nothing came back from a request that may be sent twice.
        const retryable = request.body === null &&
          (failure.kind === "connect" || (failure.beforeResponse && IDEMPOTENT.has(request.method)));
        const next = attempt === 0 && retryable ? table.pick(target.funko, endpoint) : undefined;
        if (!next) {
          return jsonError(502, "upstream_failed", `Funko ${target.funko} failed to answer: ${failure.message}`);
        }
        endpoint = next;
      }
    }
  }
  return Object.assign(proxyFunko, { close: () => pool.close() });
}

/** The client's response; an answer the Response class refuses fails like a broken upstream, its body released. */
function toResponse(upstream: UpstreamResponse): Response {
  try {
    return new Response(upstream.body, {
      status: upstream.status,
      statusText: upstream.statusText,
      headers: withoutHopByHop(upstream.headers),
    });
  } catch (error) {
    if (upstream.body instanceof ReadableStream) upstream.body.cancel().catch(() => {});
    throw new UpstreamError("protocol", `unusable answer: ${(error as Error).message}`, false, error);
  }
}

/** Where a proxied request goes. */
export interface ProxyTarget {
  /** The funko's name. */
  funko: string;
  /** The path after `/funko/NAME`, starting with `/`; null when nothing follows the name. */
  rest: string | null;
  /** The query string with its `?`, or empty. */
  query: string;
}

/** Splits an absolute request URL into funko, rest of the path and query; null when not under /funko/. */
export function parseTarget(url: string): ProxyTarget | null {
  const pathStart = url.indexOf("/", url.indexOf("//") + 2);
  if (pathStart < 0 || !url.startsWith(PREFIX, pathStart)) return null;
  const nameStart = pathStart + PREFIX.length;
  let queryStart = url.indexOf("?", nameStart);
  if (queryStart < 0) queryStart = url.length;
  let nameEnd = url.indexOf("/", nameStart);
  if (nameEnd < 0 || nameEnd > queryStart) nameEnd = queryStart;
  const funko = url.slice(nameStart, nameEnd);
  if (!funko) return null;
  const query = url.slice(queryStart);
  return { funko, rest: nameEnd === queryStart ? null : url.slice(nameEnd, queryStart), query };
}

/**
 * The request's headers as the instance gets them: hop-by-hop ones and those
 * the Connection header names dropped, X-Forwarded-* added.
 */
export function forwardHeaders(request: Request, funko: string, client?: ClientInfo): [string, string][] {
  const incoming = request.headers;
  const named = incoming.get("connection");
  const drop = named ? new Set(named.split(",").map((name) => name.trim().toLowerCase())) : undefined;
  const out: [string, string][] = [];
  for (const [name, value] of incoming) {
    if (HOP_BY_HOP.has(name) || drop?.has(name) || name.startsWith("x-forwarded-")) continue;
    out.push([name, value]);
  }
  const address = client && "hostname" in client.remoteAddr ? client.remoteAddr.hostname : undefined;
  const previous = incoming.get("x-forwarded-for");
  const forwardedFor = address ? (previous ? `${previous}, ${address}` : address) : previous;
  if (forwardedFor) out.push(["x-forwarded-for", forwardedFor]);
  out.push(["x-forwarded-host", incoming.get("x-forwarded-host") ?? incoming.get("host") ?? ""]);
  out.push([
    "x-forwarded-proto",
    incoming.get("x-forwarded-proto") ?? (request.url.startsWith("https:") ? "https" : "http"),
  ]);
  out.push(["x-forwarded-prefix", `${PREFIX}${funko}`]);
  return out;
}

/** A response's headers without hop-by-hop ones (nor those its Connection header names). */
export function withoutHopByHop(headers: [string, string][]): Headers {
  let named: Set<string> | undefined;
  const kept: [string, string][] = [];
  for (const pair of headers) {
    const lower = pair[0].toLowerCase();
    if (lower === "connection") named = new Set(pair[1].split(",").map((part) => part.trim().toLowerCase()));
    if (!HOP_BY_HOP.has(lower)) kept.push(pair);
  }
  return new Headers(named ? kept.filter(([name]) => !named.has(name.toLowerCase())) : kept);
}
