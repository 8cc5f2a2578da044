/**
 * The reverse proxy: `/funko/NAME/REST` goes to a ready instance of NAME as
 * `/REST`. Bodies stream both ways, WebSockets are relayed, a client that goes
 * away aborts the upstream request.
 *
 * @module
 */
import { FUNKO_NAME_PATTERN } from "../../core/names.ts";
import {
  Http1Pool,
  IDEMPOTENT,
  jsonAnswer,
  listElements,
  type ServerRequest,
  type ServerResponse,
  UpstreamError,
} from "../../http1/mod.ts";
import { HoldQueue } from "./hold.ts";
import { ProxyExchange, type ProxyObserver } from "./observer.ts";
import type { Endpoint, RoutingTable } from "./routing_table.ts";
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

/** Instances a request may try when they refuse its connection. */
const CONNECT_ATTEMPTS = 3;

/** What the observer is told of a WebSocket tunnel that ended. */
const TUNNEL: ServerResponse = { status: 101, headers: [], body: null };

/** Options for {@linkcode createProxy}. */
export interface ProxyOptions {
  /** Where instances are. */
  table: RoutingTable;
  /** Whether a funko with no instance exists at all (has an image): 503 rather than 404. */
  funkoExists: (funko: string) => Promise<boolean>;
  /**
   * Holds requests while no instance is ready but one will be (starting, or
   * a sleeping funko woken). Default: a queue with the default hold settings
   * and nothing that wakes.
   */
  hold?: HoldQueue;
  /** Called when an instance refused a connection, so it gets probed. */
  onUnreachable?: (endpoint: Endpoint) => void;
  /** How long to wait for an upstream's response headers. Default 60 s. */
  upstreamTimeoutMs?: number;
  /** The longest pause while a request body is sent to an instance or its answer's body is read. Default 60 s. */
  bodyTimeoutMs?: number;
  /** Told of every answer and upstream failure: the metrics and the access log (server/metrics/). */
  observer?: ProxyObserver;
  /**
   * A worker thread's (threads/): where a request goes that no instance ready
   * here can take; the main thread holds it for a wake, or says why there is
   * none. Default: this thread does.
   */
  elsewhere?: (request: ServerRequest) => Promise<ServerResponse | null>;
}

/** Handles one proxied request; null when it became a WebSocket relay (which has ended). */
export type ProxyHandler = ((request: ServerRequest) => ServerResponse | Promise<ServerResponse | null>) & {
  /** Closes the idle upstream connections. */
  close(): void;
  /** Upstream connections open now. */
  openConnections(): number;
};

/** Whether a request target is under `/funko/`: the proxy's fast path, before any router. */
export function isFunkoTarget(target: string): boolean {
  return target.startsWith(PREFIX);
}

/** Makes the `/funko/` request handler. */
export function createProxy(options: ProxyOptions): ProxyHandler {
  const upstreamTimeoutMs = options.upstreamTimeoutMs ?? 60_000;
  const table = options.table;
  const pool = new Http1Pool();
  const hold = options.hold ?? new HoldQueue({ table });
  const observer = options.observer;

  /** The answer as the observer passes it on; as it is without one. */
  function seen(request: ServerRequest, exchange: ProxyExchange | undefined, response: ServerResponse) {
    return exchange ? observer!.answered(request, exchange, response) : response;
  }

  /**
   * The answer for a request under /funko/. Not async itself: the common case
   * (an instance is ready) goes straight to `forward`, and the rarer ones
   * (waiting, unknown names, WebSockets) to their own functions, so that each
   * request carries only the small async frame it needs.
   */
  function proxyFunko(request: ServerRequest): ServerResponse | Promise<ServerResponse | null> {
    const exchange = observer ? new ProxyExchange(performance.now()) : undefined;
    const target = parseTarget(request.target);
    if (!target) return seen(request, exchange, jsonAnswer(404, "not_found", "Use /funko/NAME/ to reach a funko"));
    if (exchange) exchange.funko = target.funko;
    if (target.rest === null) {
      const location = `${PREFIX}${target.funko}/${target.query}`;
      return seen(request, exchange, { status: 308, headers: [["location", location]], body: null });
    }
    const found = table.pick(target.funko);
    if (found) return toInstance(request, target, found, exchange);
    return options.elsewhere ? options.elsewhere(request) : withoutReadyInstance(request, target, exchange);
  }

  /** No instance is ready: wait for a starting one or a wake, else say why there is none. */
  async function withoutReadyInstance(
    request: ServerRequest,
    target: ProxyTarget,
    exchange: ProxyExchange | undefined,
  ): Promise<ServerResponse | null> {
    if (hold.shouldHold(target.funko)) {
      observer?.waiting(target.funko, 1);
      let held;
      try {
        held = await hold.hold(target.funko, request.signal);
      } finally {
        observer?.waiting(target.funko, -1);
      }
      if (!held) return seen(request, exchange, { status: 499, headers: [], body: null });
      if (exchange) exchange.known = true;
      return held.endpoint
        ? toInstance(request, target, held.endpoint, exchange)
        : seen(request, exchange, held.answer);
    }
    // Not even a funko name (`..`, `%00`): nothing to ask the engine about.
    if (!FUNKO_NAME_PATTERN.test(target.funko)) {
      const message = `There is no funko named ${JSON.stringify(target.funko)}`;
      return seen(request, exchange, jsonAnswer(404, "unknown_funko", message));
    }
    if (table.knows(target.funko) || await options.funkoExists(target.funko)) {
      if (exchange) exchange.known = true;
      // Why the instances are not ready, when their probes say: the port never opened, the health path 404s.
      const problems = table.problems(target.funko);
      const message = `Funko ${target.funko} has no healthy instance right now${problems ? ` (${problems})` : ""}`;
      return seen(request, exchange, jsonAnswer(503, "no_instance", message, [["retry-after", "2"]]));
    }
    return seen(request, exchange, jsonAnswer(404, "unknown_funko", `There is no funko named ${target.funko}`));
  }

  /** Relays a WebSocket, or forwards the request. */
  function toInstance(
    request: ServerRequest,
    target: ProxyTarget,
    endpoint: Endpoint,
    exchange: ProxyExchange | undefined,
  ): Promise<ServerResponse | null> {
    const headers = forwardHeaders(request, target.funko);
    if (exchange) {
      exchange.known = true;
      exchange.instance = endpoint;
    }
    if (request.header("upgrade")?.toLowerCase() === "websocket") {
      const relayed = tunnel(request, target, endpoint, headers);
      if (!exchange) return relayed;
      // The tunnel counts as one request with status 101, done when it closes.
      return relayed.then((answer) => {
        if (answer) return seen(request, exchange, answer);
        seen(request, exchange, TUNNEL);
        return null;
      });
    }
    return forward(request, target, endpoint, headers, exchange);
  }

  /** Relays a WebSocket, counted in flight while it is open: an open socket keeps its funko awake. */
  async function tunnel(
    request: ServerRequest,
    target: ProxyTarget,
    endpoint: Endpoint,
    headers: [string, string][],
  ): Promise<ServerResponse | null> {
    table.started(endpoint);
    try {
      return await relayWebSocket(request, endpoint.address, endpoint.port, target.rest + target.query, headers);
    } finally {
      table.finished(endpoint);
    }
  }

  /** Sends the request to `endpoint`; a failure before anything was sent (or answered, when idempotent) tries one other instance. */
  async function forward(
    request: ServerRequest,
    target: ProxyTarget,
    first: Endpoint,
    headers: [string, string][],
    exchange: ProxyExchange | undefined,
  ): Promise<ServerResponse> {
    let endpoint = first;
    // Every instance this request tried: a retry never goes back to one (a concurrent event may have made it
    // ready again meanwhile, as a lost node's tasks flap until the managers declare the node down).
    const tried = new Set<Endpoint>();
    for (let attempt = 0;; attempt++) {
      tried.add(endpoint);
      table.started(endpoint);
      try {
        const upstream = await pool.request(endpoint.address, endpoint.port, {
          method: request.method,
          target: target.rest + target.query,
          headers,
          body: request.body,
          client: request,
          headTimeoutMs: upstreamTimeoutMs,
          bodyTimeoutMs: options.bodyTimeoutMs ?? 60_000,
        });
        if (upstream.body instanceof ReadableStream) {
          const streaming = endpoint;
          upstream.done.then(() => table.finished(streaming));
        } else table.finished(endpoint);
        const response: ServerResponse = {
          status: upstream.status,
          statusText: upstream.statusText,
          headers: withoutHopByHop(upstream.headers),
          body: upstream.body,
        };
        if (!exchange) return response;
        exchange.instance = endpoint;
        exchange.done = upstream.done;
        return observer!.answered(request, exchange, response);
      } catch (error) {
        table.finished(endpoint);
        const failure = error instanceof UpstreamError ? error : new UpstreamError("reset", String(error), false);
        if (failure.kind === "aborted") return seen(request, exchange, { status: 499, headers: [], body: null });
        observer?.upstreamFailed(target.funko, failure.kind);
        if (failure.kind === "timeout") {
          const message = `Funko ${target.funko} did not answer in ${upstreamTimeoutMs} ms`;
          return seen(request, exchange, jsonAnswer(504, "upstream_timeout", message));
        }
        if (failure.kind === "connect") {
          table.update(endpoint.id, { suspect: true });
          options.onUnreachable?.(endpoint);
        }
        // Nothing was sent (connect), or nothing came back from a request that may be sent twice.
        const retryable = request.body === null &&
          (failure.kind === "connect" || (failure.beforeResponse && IDEMPOTENT.has(request.method)));
        // A refused connection sent nothing, so it may go on to a third instance: several can go at once (the
        // tasks of a lost swarm node), and each refusal takes its instance out of the picks.
        const again = attempt === 0 || (failure.kind === "connect" && attempt < CONNECT_ATTEMPTS - 1);
        const next = again && retryable ? table.pick(target.funko, tried) : undefined;
        if (!next) {
          const message = `Funko ${target.funko} failed to answer: ${failure.message}`;
          return seen(request, exchange, jsonAnswer(502, "upstream_failed", message));
        }
        endpoint = next;
      }
    }
  }
  return Object.assign(proxyFunko, { close: () => pool.close(), openConnections: () => pool.openConnections });
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

/** Splits a request target (`/funko/NAME/REST?QUERY`) into funko, rest of the path and query; null when not under /funko/. */
export function parseTarget(target: string): ProxyTarget | null {
  if (!target.startsWith(PREFIX)) return null;
  const nameStart = PREFIX.length;
  let queryStart = target.indexOf("?", nameStart);
  if (queryStart < 0) queryStart = target.length;
  let nameEnd = target.indexOf("/", nameStart);
  if (nameEnd < 0 || nameEnd > queryStart) nameEnd = queryStart;
  const funko = target.slice(nameStart, nameEnd);
  if (!funko) return null;
  const query = target.slice(queryStart);
  return { funko, rest: nameEnd === queryStart ? null : target.slice(nameEnd, queryStart), query };
}

/**
 * The request's headers as the instance gets them: hop-by-hop ones and those
 * the Connection header names dropped, X-Forwarded-* added.
 */
export function forwardHeaders(request: ServerRequest, funko: string): [string, string][] {
  let drop: Set<string> | undefined;
  let previousFor: string | undefined;
  let forwardedHost: string | undefined;
  let forwardedProto: string | undefined;
  let host = "";
  const out: [string, string][] = [];
  for (const pair of request.headers) {
    const name = pair[0];
    if (name === "connection") drop = new Set(listElements(pair[1]));
    else if (name === "host") host = pair[1];
    else if (name === "x-forwarded-for") previousFor = previousFor ? `${previousFor}, ${pair[1]}` : pair[1];
    else if (name === "x-forwarded-host") forwardedHost ??= pair[1];
    else if (name === "x-forwarded-proto") forwardedProto ??= pair[1];
    if (HOP_BY_HOP.has(name) || name.startsWith("x-forwarded-")) continue;
    out.push(pair);
  }
  const kept = drop ? out.filter(([name]) => !drop.has(name)) : out;
  const address = request.remoteAddr.hostname;
  kept.push(
    ["x-forwarded-for", previousFor ? `${previousFor}, ${address}` : address],
    ["x-forwarded-host", forwardedHost ?? host],
    ["x-forwarded-proto", forwardedProto ?? "http"],
    ["x-forwarded-prefix", `${PREFIX}${funko}`],
  );
  return kept;
}

/** A response's headers without hop-by-hop ones (nor those its Connection header names); the same array when none is there. */
export function withoutHopByHop(headers: [string, string][]): [string, string][] {
  let named: Set<string> | undefined;
  // Made only once a header is dropped: nearly all answers have none to drop.
  let kept: [string, string][] | undefined;
  for (let i = 0; i < headers.length; i++) {
    const pair = headers[i]!;
    const lower = pair[0].toLowerCase();
    if (lower === "connection") named = new Set(listElements(pair[1]));
    if (HOP_BY_HOP.has(lower)) kept ??= headers.slice(0, i);
    else kept?.push(pair);
  }
  const result = kept ?? headers;
  return named ? result.filter(([name]) => !named.has(name.toLowerCase())) : result;
}
