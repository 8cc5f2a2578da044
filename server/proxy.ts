/**
 * The reverse proxy: `/funko/NAME/REST` goes to a ready instance of NAME as
 * `/REST`. Bodies stream both ways, WebSockets are relayed, a client that goes
 * away aborts the upstream request.
 *
 * @module
 */
import type { Endpoint, RoutingTable } from "./routing_table.ts";
import { jsonError } from "./errors.ts";
import { relayWebSocket } from "./websocket_relay.ts";

/** Headers that concern one connection only (RFC 9110 section 7.6.1), never forwarded. */
const HOP_BY_HOP = [
  "connection",
  "keep-alive",
  "proxy-authenticate",
  "proxy-authorization",
  "proxy-connection",
  "te",
  "trailer",
  "transfer-encoding",
  "upgrade",
];

const PREFIX = "/funko/";

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
  /** How long a request may wait for a starting instance. Default 10 s. */
  waitForInstanceMs?: number;
}

/** The client's address, as Deno.serve reports it. */
export interface ClientInfo {
  remoteAddr: { hostname: string } | Deno.Addr;
}

/** Handles one proxied request. */
export type ProxyHandler = (request: Request, client?: ClientInfo) => Promise<Response>;

/** Makes the `/funko/` request handler. */
export function createProxy(options: ProxyOptions): ProxyHandler {
  const upstreamTimeoutMs = options.upstreamTimeoutMs ?? 60_000;
  const waitForInstanceMs = options.waitForInstanceMs ?? 10_000;
  const table = options.table;

  return async function proxyFunko(request: Request, client?: ClientInfo): Promise<Response> {
    const target = parseTarget(request.url);
    if (!target) return jsonError(404, "not_found", "Use /funko/NAME/ to reach a funko");
    if (target.rest === null) {
      return new Response(null, { status: 308, headers: { location: `${PREFIX}${target.funko}/${target.query}` } });
    }
    let found = table.pick(target.funko);
    if (!found && table.hasPending(target.funko)) {
      found = await table.waitForReady(target.funko, waitForInstanceMs, request.signal);
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
    if (request.headers.get("upgrade")?.toLowerCase() === "websocket") {
      return relayWebSocket(request, `ws${endpoint.origin.slice(4)}${target.rest}${target.query}`);
    }
    const headers = forwardHeaders(request, target.funko, client);
    const retryable = request.body === null && IDEMPOTENT.has(request.method);
    for (let attempt = 0;; attempt++) {
      const outcome = await forward(request, endpoint, target.rest + target.query, headers, upstreamTimeoutMs);
      if (outcome instanceof Response) return outcome;
      if (outcome.kind === "refused") {
        table.update(endpoint.id, { suspect: true });
        options.onUnreachable?.(endpoint);
      }
      if (outcome.kind === "aborted") return new Response(null, { status: 499 });
      if (outcome.kind === "timeout") {
        return jsonError(504, "upstream_timeout", `Funko ${target.funko} did not answer in ${upstreamTimeoutMs} ms`);
      }
      const next: Endpoint | undefined =
        attempt === 0 && (retryable || outcome.kind === "refused" && request.body === null)
          ? table.pick(target.funko, endpoint)
          : undefined;
      if (!next) {
        return jsonError(502, "upstream_failed", `Funko ${target.funko} failed to answer: ${outcome.message}`);
      }
      endpoint = next;
    }
  };
}

const IDEMPOTENT = new Set(["GET", "HEAD", "OPTIONS", "DELETE", "PUT"]);

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

/** The request's headers as the instance gets them: hop-by-hop ones dropped, X-Forwarded-* added. */
export function forwardHeaders(request: Request, funko: string, client?: ClientInfo): Headers {
  const headers = new Headers(request.headers);
  dropHopByHop(headers);
  const url = request.url;
  const address = client && "hostname" in client.remoteAddr ? client.remoteAddr.hostname : undefined;
  if (address) {
    const previous = request.headers.get("x-forwarded-for");
    headers.set("x-forwarded-for", previous ? `${previous}, ${address}` : address);
  }
  if (!headers.has("x-forwarded-host")) headers.set("x-forwarded-host", request.headers.get("host") ?? "");
  if (!headers.has("x-forwarded-proto")) headers.set("x-forwarded-proto", url.startsWith("https:") ? "https" : "http");
  headers.set("x-forwarded-prefix", `${PREFIX}${funko}`);
  // Deno's fetch decodes gzip and brotli answers to an Accept-Encoding it passed on, and the
  // body would no longer match its Content-Encoding. Asking for identity keeps bodies as sent.
  headers.set("accept-encoding", "identity");
  return headers;
}

/** Removes hop-by-hop headers, and any header the Connection header names. */
export function dropHopByHop(headers: Headers): void {
  const named = headers.get("connection");
  if (named) { for (const name of named.split(",")) headers.delete(name.trim()); }
  for (const name of HOP_BY_HOP) headers.delete(name);
}

type Failure = { kind: "refused" | "failed" | "timeout" | "aborted"; message: string };

async function forward(
  request: Request,
  endpoint: Endpoint,
  pathAndQuery: string,
  headers: Headers,
  timeoutMs: number,
): Promise<Response | Failure> {
  const headersTimeout = new AbortController();
  const timer = setTimeout(() => headersTimeout.abort(), timeoutMs);
  const signal = AbortSignal.any([request.signal, headersTimeout.signal]);
  endpoint.inFlight++;
  let upstream: Response;
  try {
    upstream = await fetch(endpoint.origin + pathAndQuery, {
      method: request.method,
      headers,
      body: request.body,
      redirect: "manual",
      signal,
    });
  } catch (error) {
    endpoint.inFlight--;
    if (request.signal.aborted) return { kind: "aborted", message: "the client went away" };
    if (headersTimeout.signal.aborted) return { kind: "timeout", message: "timed out" };
    const message = causes(error);
    return { kind: /connect|refused|unreachable/i.test(message) ? "refused" : "failed", message };
  } finally {
    clearTimeout(timer);
  }
  const responseHeaders = new Headers(upstream.headers);
  dropHopByHop(responseHeaders);
  const body = upstream.body ? upstream.body.pipeThrough(doneCounter(endpoint)) : (endpoint.inFlight--, null);
  return new Response(body, { status: upstream.status, statusText: upstream.statusText, headers: responseHeaders });
}

/** Passes a body through and counts the request done when it ends either way. */
function doneCounter(endpoint: Endpoint): TransformStream<Uint8Array, Uint8Array> {
  let done = false;
  const finish = () => {
    if (!done) {
      done = true;
      endpoint.inFlight--;
    }
  };
  return new TransformStream({ flush: finish, cancel: finish });
}

/** The innermost useful message of an error and its causes ("connection refused"). */
function causes(error: unknown): string {
  const messages: string[] = [];
  for (let current = error; current instanceof Error && messages.length < 5; current = current.cause) {
    messages.push(current.message);
  }
  const last = messages.at(-1) ?? String(error);
  return (/\): (.*)$/.exec(last)?.[1] ?? last).slice(0, 200);
}
