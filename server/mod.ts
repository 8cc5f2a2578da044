/**
 * `faaso serve`: wires the engine, the routing table and its watcher, the
 * proxy and the admin API together, and listens.
 *
 * @module
 */
import { Docker } from "../docker/mod.ts";
import { ContainerInstances } from "../core/instances.ts";
import { LABELS, latestImage, NETWORK } from "../core/names.ts";
import type { Progress } from "../core/progress.ts";
import { hostPathResolver } from "../core/host_paths.ts";
import { reconcile } from "../core/reconcile.ts";
import { SecretStore } from "../core/secrets.ts";
import { VERSION } from "../core/version.ts";
import type { ServerDeps } from "./app.ts";
import { Credentials, LoginThrottle } from "./auth.ts";
import type { DataFolder } from "../core/data_folder.ts";
import { InstanceKeeper } from "./keeper.ts";
import { type FetchHandler, serveFetch } from "./fetch_bridge.ts";
import type { ServerResponse } from "./http1_response.ts";
import { Http1Server, type ServerRequest } from "./http1_server.ts";
import { createProxy, isFunkoTarget } from "./proxy.ts";
import { RouteWatcher } from "./route_watcher.ts";
import { drainInTable, RoutingTable } from "./routing_table.ts";

const PING: ServerResponse = {
  status: 200,
  headers: [["content-type", "text/plain"]],
  body: new TextEncoder().encode("OK"),
};

/** How long streams still open get when the server stops. */
const STREAM_GRACE_MS = 2000;

/** Options for {@linkcode startServer}. */
export interface ServeOptions {
  /** Port to listen on. */
  port: number;
  /** Address to listen on. */
  hostname: string;
  /** The data folder. */
  data: DataFolder;
  /** The admin password from FAASO_PASSWORD, if set. */
  password?: string;
  /** How long to wait for an instance's response headers. */
  upstreamTimeoutMs?: number;
  /** Where to report what the server does. */
  progress: Progress;
}

/** A running server. */
export interface RunningServer {
  /** The address it listens on. */
  url: string;
  /** The admin password, when it was generated on this start (shown once). */
  generatedPassword?: string;
  /** Settles when the server has stopped. */
  finished: Promise<void>;
  /** Stops accepting requests, finishes those in flight, stops watching. */
  shutdown(): Promise<void>;
}

/**
 * Starts the server: checks the engine, loads credentials, brings every funko
 * back to its desired scale, syncs the routing table, then listens.
 */
export async function startServer(options: ServeOptions): Promise<RunningServer> {
  const docker = Docker.fromEnv();
  const engine = await docker.system.version();
  options.progress({
    kind: "step",
    text: `Docker engine ${engine.Version} (API ${engine.ApiVersion}) at ${docker.transport.host}`,
  });
  const { credentials, generated } = await Credentials.load(options.data, { password: options.password });
  const keepBuilds = await options.data.keepBuilds();
  options.progress({
    kind: "step",
    text: `Data folder ${options.data.root}; admin password from ${credentials.source}`,
  });

  // Build contexts of a server that died mid-build are of no use to anyone.
  await Deno.remove(options.data.uploadsFolder, { recursive: true }).catch(() => {});
  const secrets = new SecretStore(options.data, { hostPath: await hostPathResolver(docker) });
  const instances = new ContainerInstances(docker, { secretsFolder: (funko) => secrets.hostFolderOf(funko) });
  await docker.networks.ensure(NETWORK, { labels: { [LABELS.role]: "network" } });
  await reconcile({ docker, instances }, options.progress);

  const table = new RoutingTable();
  const keeper = new InstanceKeeper(instances, { progress: options.progress });
  const watcher = new RouteWatcher(table, instances, {
    log: (message) => options.progress({ kind: "warning", text: message }),
    onEvent: (event) => keeper.observe(event),
  });
  await watcher.start();

  const images = new Map<string, { exists: boolean; at: number }>();
  const proxy = createProxy({
    table,
    upstreamTimeoutMs: options.upstreamTimeoutMs,
    onUnreachable: (endpoint) => watcher.probe(endpoint),
    funkoExists: async (funko) => {
      const cached = images.get(funko);
      if (cached && Date.now() - cached.at < 2000) return cached.exists;
      const exists = (await docker.images.inspectOrNull(latestImage(funko))) !== null;
      images.set(funko, { exists, at: Date.now() });
      if (images.size > 1000) images.delete(images.keys().next().value!);
      return exists;
    },
  });
  // The admin API and web UI load on their first request: a proxy that only proxies stays small.
  const stopping = new AbortController();
  const deps: ServerDeps = {
    stopping: stopping.signal,
    lifecycle: {
      docker,
      instances,
      drain: (retiring, ms) => drainInTable(table, retiring.map((instance) => instance.id), ms),
    },
    docker,
    instances,
    table,
    credentials,
    secrets,
    throttle: new LoginThrottle(),
    data: options.data,
    keepBuilds,
  };
  let app: Promise<{ fetch: FetchHandler }> | undefined;
  const admin = async (request: ServerRequest) => {
    app ??= import("./app.ts").then((module) => module.createApp(deps));
    return serveFetch(request, (await app).fetch);
  };

  const server = Http1Server.listen({
    port: options.port,
    hostname: options.hostname,
    onError: (error) => options.progress({ kind: "warning", text: `Unexpected error: ${String(error)}` }),
    handler: (request) => {
      if (isFunkoTarget(request.target)) return proxy(request);
      // The container's healthcheck: answered without loading the admin side.
      if (request.target === "/ping") return PING;
      return admin(request);
    },
  });
  const { hostname, port } = server.addr;
  const url = `http://${hostname.includes(":") ? `[${hostname}]` : hostname}:${port}`;
  options.progress({ kind: "step", text: `FaaSO ${VERSION} listening on ${url}: funkos at ${url}/funko/NAME/` });

  const finished = server.finished.finally(async () => {
    keeper.stop();
    proxy.close();
    await watcher.stop();
    docker.close();
  });
  return {
    url,
    generatedPassword: generated,
    finished,
    shutdown: async () => {
      // First stop starting instances: when the engine itself is shutting down (it sends the proxy
      // SIGTERM too), starting containers it is stopping leaves it stale tasks it cannot restart.
      keeper.stop();
      server.shutdown();
      // Requests in flight get a moment to finish; streams that never end (followed logs, SSE
      // through the proxy) are then cut, so that a stop takes seconds, not the engine's patience.
      const cut = setTimeout(() => {
        stopping.abort();
        proxy.close();
        server.closeAll();
      }, STREAM_GRACE_MS);
      await finished;
      clearTimeout(cut);
    },
  };
}
