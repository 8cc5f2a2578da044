/**
 * The one path every Engine API call takes: `fetch` over the unix socket (or
 * TCP), the pinned API version prefix, expected statuses and errors.
 *
 * @module
 */
import { DockerApiError, DockerUnreachableError } from "./errors.ts";

/** The Engine API version FaaSO speaks: Docker 20.10 and newer. */
export const API_VERSION = "1.41";

/** Where the engine listens when DOCKER_HOST is not set. */
export const DEFAULT_DOCKER_HOST = "unix:///var/run/docker.sock";

/**
 * The `X-Registry-Auth` header for no credentials: an empty auth
 * configuration, base64url-encoded. Pushes need the header even then.
 */
export const NO_REGISTRY_AUTH = "e30";

/** Query parameters: `undefined` values are left out, objects become JSON. */
export type Query = Record<string, string | number | boolean | object | undefined>;

/** Options for one Engine API request. */
export interface RequestOptions {
  /** Query string parameters. */
  query?: Query;
  /** Request body: objects are sent as JSON, streams and bytes as they are. */
  body?: BodyInit | object;
  /** Extra request headers. */
  headers?: Record<string, string>;
  /** Statuses this endpoint answers on success; anything else throws. Default: 2xx. */
  expect?: number[];
  /** Aborts the request (and its response stream). */
  signal?: AbortSignal;
}

/** Options for {@linkcode DockerTransport}. */
export interface DockerTransportOptions {
  /** `unix:///path/to/docker.sock` or `tcp://host:port`. Default: DOCKER_HOST or the local socket. */
  host?: string;
}

/**
 * Sends requests to the Docker Engine API and turns failures into
 * {@linkcode DockerApiError} or {@linkcode DockerUnreachableError}.
 *
 * The first request checks the engine's API version once.
 *
 * @example
 * ```ts
 * const transport = new DockerTransport();
 * const info = await transport.json("GET", "/info");
 * ```
 */
export class DockerTransport {
  /** The engine address, as given (for messages). */
  readonly host: string;
  #baseUrl: string;
  #client: Deno.HttpClient | undefined;
  #closed = false;
  #versionCheck: Promise<void> | undefined;
  /** GETs sent ahead by {@linkcode prefetch}, by URL, until a request takes them. */
  #prefetched = new Map<string, Promise<Response>>();

  constructor(options: DockerTransportOptions = {}) {
    this.host = options.host ?? DEFAULT_DOCKER_HOST;
    const target = parseDockerHost(this.host);
    this.#baseUrl = target.baseUrl;
    this.#client = target.socketPath
      ? Deno.createHttpClient({ proxy: { transport: "unix", path: target.socketPath } })
      : undefined;
  }

  /** Sends a request and returns the response once its status is one expected. */
  async request(method: string, path: string, options: RequestOptions = {}): Promise<Response> {
    await (this.#versionCheck ??= this.#checkVersion(options.signal));
    return await this.#send(method, `/v${API_VERSION}${path}`, path, options);
  }

  /**
   * Sends `GET path` now (with the version check) and keeps the answer for
   * the first request for the same path and query that has no signal: the CLI
   * asks the engine what a command will need while it loads that command's
   * modules. An answer no request takes is dropped by {@linkcode close}.
   */
  prefetch(path: string, query?: Query): void {
    if (this.#closed) return;
    const url = this.#url(`/v${API_VERSION}${path}`, query);
    if (this.#prefetched.has(url.href)) return;
    this.preflight();
    // Not after the version check: the JavaScript thread may be busy (loading modules) when it ends. A GET changes
    // nothing, and a request waits for the check before it takes the answer.
    const response = fetch(url, { client: this.#client } as RequestInit);
    response.catch(() => {});
    this.#prefetched.set(url.href, response);
  }

  /** Sends a request and parses the JSON answer. */
  async json<T>(method: string, path: string, options: RequestOptions = {}): Promise<T> {
    const response = await this.request(method, path, options);
    const text = await response.text();
    return (text ? JSON.parse(text) : undefined) as T;
  }

  /**
   * GETs a resource and parses it, or returns null when the engine answers 404:
   * a missing resource is data, not an error.
   */
  async jsonOrNull<T>(path: string, signal?: AbortSignal): Promise<T | null> {
    const response = await this.request("GET", path, { expect: [200, 404], signal });
    if (response.status === 404) {
      await response.body?.cancel();
      return null;
    }
    return await response.json() as T;
  }

  /** Sends a request and discards the answer's body. */
  async call(method: string, path: string, options: RequestOptions = {}): Promise<number> {
    const response = await this.request(method, path, options);
    await response.body?.cancel();
    return response.status;
  }

  /**
   * Starts the version check that the first request would start, so that it
   * runs while the caller does something else (the CLI: loads the modules of
   * its command). The first request waits for it and reports its failure.
   */
  preflight(): void {
    (this.#versionCheck ??= this.#checkVersion(undefined)).catch(() => {});
  }

  /** Releases the socket connection pool; the transport cannot be used afterwards. */
  close(): void {
    for (const response of this.#prefetched.values()) response.then((r) => r.body?.cancel(), () => {});
    this.#prefetched.clear();
    this.#client?.close();
    this.#client = undefined;
    this.#closed = true;
  }

  async #checkVersion(signal: AbortSignal | undefined): Promise<void> {
    // Unversioned on purpose: an old engine must still answer this one. /_ping is the cheap way
    // to learn the engine's API version (6 ms faster than /version here, on every CLI command).
    const response = await this.#send("GET", "/_ping", "/_ping", { signal });
    await response.body?.cancel();
    const version = {
      ApiVersion: response.headers.get("api-version") ?? undefined,
      Version: /^Docker\/(\S+)/.exec(response.headers.get("server") ?? "")?.[1],
    };
    if (!version.ApiVersion || compareVersions(version.ApiVersion, API_VERSION) < 0) {
      this.#versionCheck = undefined;
      throw new Error(
        `Cannot use the Docker engine at ${this.host}: it speaks API ${version.ApiVersion ?? "?"} ` +
          `(Docker ${version.Version ?? "?"}), FaaSO needs API ${API_VERSION} (Docker 20.10) or newer`,
      );
    }
  }

  #url(urlPath: string, query: Query | undefined): URL {
    const url = new URL(this.#baseUrl + urlPath);
    for (const [key, value] of Object.entries(query ?? {})) {
      if (value === undefined) continue;
      url.searchParams.set(key, typeof value === "object" ? JSON.stringify(value) : String(value));
    }
    return url;
  }

  async #send(
    method: string,
    urlPath: string,
    path: string,
    options: RequestOptions,
  ): Promise<Response> {
    if (this.#closed) throw new Error(`Cannot call ${method} ${path}: this Docker client was closed`);
    const url = this.#url(urlPath, options.query);
    const prefetched = method === "GET" && !options.signal && options.body === undefined && !options.headers
      ? this.#prefetched.get(url.href)
      : undefined;
    if (prefetched) this.#prefetched.delete(url.href);
    const headers = new Headers(options.headers);
    let body = options.body as BodyInit | undefined;
    if (isJsonBody(options.body)) {
      headers.set("content-type", "application/json");
      body = JSON.stringify(options.body);
    }
    let response: Response;
    try {
      response = await (prefetched ?? fetch(url, {
        method,
        headers,
        body,
        signal: options.signal,
        client: this.#client,
      } as RequestInit));
    } catch (error) {
      if (options.signal?.aborted || error instanceof Deno.errors.NotCapable) throw error;
      throw new DockerUnreachableError(this.host, error);
    }
    const ok = options.expect ? options.expect.includes(response.status) : response.ok;
    if (!ok) {
      throw new DockerApiError({
        status: response.status,
        method,
        path: path.split("?")[0] ?? path,
        engineMessage: await engineMessage(response),
      });
    }
    return response;
  }
}

/** Where a DOCKER_HOST value points: the HTTP base URL and, for unix sockets, the path. */
export interface DockerHostTarget {
  /** Base URL requests are made against. */
  baseUrl: string;
  /** The unix socket path, when the host is a socket. */
  socketPath?: string;
}

/**
 * Parses a DOCKER_HOST value (`unix:///path` or `tcp://host:port`).
 *
 * @example
 * ```ts
 * parseDockerHost("tcp://10.0.0.2:2375"); // { baseUrl: "http://10.0.0.2:2375" }
 * ```
 */
export function parseDockerHost(host: string): DockerHostTarget {
  if (host.startsWith("unix://")) {
    const socketPath = host.slice("unix://".length);
    if (!socketPath.startsWith("/")) {
      throw new Error(`Cannot use DOCKER_HOST=${host}: a unix socket path must be absolute`);
    }
    // An IP literal: with a host name ("docker"), fetch looks it up in DNS before it uses the socket, which
    // cost up to 180 ms per command here, and as long as the resolver's timeout where DNS does not answer.
    return { baseUrl: "http://127.0.0.1", socketPath };
  }
  if (host.startsWith("tcp://")) {
    const address = host.slice("tcp://".length).replace(/\/+$/, "");
    if (!address) throw new Error(`Cannot use DOCKER_HOST=${host}: no host:port given`);
    return { baseUrl: `http://${address.includes(":") ? address : `${address}:2375`}` };
  }
  throw new Error(
    `Cannot use DOCKER_HOST=${host}: FaaSO speaks to unix:///path/to/docker.sock or tcp://host:port`,
  );
}

/** Compares dotted versions numerically ("1.9" < "1.41"). */
export function compareVersions(a: string, b: string): number {
  const pa = a.split(".").map(Number);
  const pb = b.split(".").map(Number);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const diff = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (diff !== 0) return Math.sign(diff);
  }
  return 0;
}

function isJsonBody(body: unknown): body is object {
  return typeof body === "object" && body !== null && !(body instanceof ReadableStream) &&
    !(body instanceof Uint8Array) && !(body instanceof Blob) && !(body instanceof ArrayBuffer) &&
    !(body instanceof FormData) && !(body instanceof URLSearchParams);
}

async function engineMessage(response: Response): Promise<string> {
  const text = (await response.text()).trim();
  try {
    const parsed = JSON.parse(text) as { message?: unknown };
    if (typeof parsed.message === "string") return parsed.message;
  } catch {
    // Not JSON: the text itself is the message.
  }
  return text || response.statusText || "no message";
}
