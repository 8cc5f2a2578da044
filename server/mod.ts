/**
 * `faaso serve`: wires the engine, the proxy (`proxy/`: routing table, its
 * watcher, the keeper) and the admin side (`admin/`: API and web UI) together,
 * and listens with the HTTP/1.1 server of `http1/`.
 *
 * @module
 */
import { Docker } from "../docker/mod.ts";
import { type BuildSettings, describeBuildSettings } from "../core/build_settings.ts";
import { ContainerInstances } from "../core/container_instances.ts";
import type { Instance, InstanceBackend } from "../core/instances.ts";
import { LABELS, latestImage, NETWORK } from "../core/names.ts";
import type { Progress } from "../core/progress.ts";
import { hostPathResolver } from "../core/host_paths.ts";
import { type SecretBackend, SecretStore } from "../core/secrets.ts";
import { SleepStates } from "../core/sleep_state.ts";
import { detectSwarm, type SwarmSetting } from "../core/swarm/mode.ts";
import { VERSION } from "../core/version.ts";
import type { DataFolder } from "../core/data_folder.ts";
import { FaasoError } from "../core/errors.ts";
import { localUrl, removeServeFile, writeServeFile } from "../core/local_server.ts";
import {
  type FetchHandler,
  type Http1Handler,
  Http1Server,
  serveFetch,
  type ServerRequest,
  type ServerResponse,
} from "../http1/mod.ts";
// Not admin/mod.ts: the admin app loads on its first request (below); only the credentials load at start.
import { Credentials, LoginThrottle, type PasswordSource } from "./admin/auth.ts";
import type { ServerDeps } from "./admin/deps.ts";
import {
  createProxy,
  drainInTable,
  InstanceKeeper,
  isFunkoTarget,
  RouteWatcher,
  RoutingTable,
  startScaling,
} from "./proxy/mod.ts";
import { startThreads } from "./proxy/threads/mod.ts";
import { isAsyncTarget, startInvocations } from "./async/mod.ts";
import { WorkerCallStore } from "./async/worker_call_store.ts";
import {
  AccessLog,
  type AccessLogFormat,
  callMetrics,
  isMetricsTarget,
  Metrics,
  metricsEndpoint,
  MetricsToken,
  TrafficRecorder,
} from "./metrics/mod.ts";

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
  /** Swarm mode (default auto: when the engine is a swarm manager) and the registry nodes pull from. */
  swarm?: { setting: SwarmSetting; registry?: string };
  /** The mirror and network of the builds it does (remote builds). */
  build?: BuildSettings;
  /** Count traffic for /metrics, the web UI and the CLI. Default true. */
  metrics?: boolean;
  /** Write an access log line per proxied request: to `-` (stderr) or a file. Default: none. */
  accessLog?: { destination: string; format: AccessLogFormat };
  /**
   * Threads that proxy (default 1): the main one, and workers beside it on
   * the same port (`server/proxy/threads/`; needs `--unstable-net`).
   */
  threads?: number;
  /** Where to report what the server does. */
  progress: Progress;
  /** Told of every wake of a sleeping funko and how long it took to a ready instance (for metrics). */
  onWake?: (funko: string, ms: number) => void;
}

/** A running server. */
export interface RunningServer {
  /** The address it listens on. */
  url: string;
  /** Settles when the server has stopped. */
  finished: Promise<void>;
  /** Stops accepting requests, finishes those in flight, stops watching. */
  shutdown(): Promise<void>;
}

/**
 * Starts the server: listens first (a busy port fails before anything is
 * written or started), then checks the engine, loads credentials, brings
 * every funko back to its desired scale, syncs the routing table and serves.
 * Requests that come before that are answered 503.
 */
export async function startServer(options: ServeOptions): Promise<RunningServer> {
  let handler: Http1Handler = starting;
  const server = listen(options, (request) => handler(request));
  const docker = Docker.fromEnv();
  try {
    const ready = await prepare(options, docker, server);
    handler = ready.handler;
    ready.announce();
    return ready.running;
  } catch (error) {
    server.closeAll();
    await server.finished;
    docker.close();
    throw error;
  }
}

/** Binds the port, or says which one is busy and how to pick another. */
function listen(options: ServeOptions, handler: Http1Handler): Http1Server {
  const reusePort = (options.threads ?? 1) > 1;
  try {
    // A port shared with SO_REUSEPORT binds beside any other listener that shares it, another faaso serve's
    // too: a plain bind first finds the port busy.
    if (reusePort && options.port !== 0) Deno.listen({ hostname: options.hostname, port: options.port }).close();
    return Http1Server.listen({
      port: options.port,
      hostname: options.hostname,
      reusePort,
      onError: (error) => options.progress({ kind: "warning", text: `Unexpected error: ${String(error)}` }),
      handler,
    });
  } catch (error) {
    const where = `${options.hostname}:${options.port}`;
    if (error instanceof Deno.errors.AddrInUse) {
      throw new FaasoError(
        `Cannot listen on ${where}: port ${options.port} is in use (another faaso serve?); ` +
          "pick another with --port N or FAASO_PORT=N",
        { cause: error },
      );
    }
    throw new FaasoError(`Cannot listen on ${where}: ${(error as Error).message}`, { cause: error });
  }
}

/** The answer while the server gets ready. */
function starting(): ServerResponse {
  return {
    status: 503,
    headers: [["content-type", "application/json"], ["retry-after", "1"]],
    body: new TextEncoder().encode(JSON.stringify({ error: { code: "starting", message: "FaaSO is starting" } })),
  };
}

/** Everything but the listener: the engine, credentials, instances, routes. */
async function prepare(
  options: ServeOptions,
  docker: Docker,
  server: Http1Server,
): Promise<{ handler: Http1Handler; running: RunningServer; announce: () => void }> {
  // What the command line asked for: a bad path fails before the engine is asked anything.
  const accessLog = options.accessLog
    ? await AccessLog.open({
      ...options.accessLog,
      onError: (error) => options.progress({ kind: "warning", text: `Cannot write the access log: ${error}` }),
    })
    : undefined;
  const engine = await docker.system.version();
  options.progress({
    kind: "step",
    text: `Docker engine ${engine.Version} (API ${engine.ApiVersion}) at ${docker.transport.host}`,
  });
  const { credentials, generated } = await Credentials.load(options.data, { password: options.password });
  const keepBuilds = await options.data.keepBuilds();
  options.progress({
    kind: "step",
    text: `Data folder ${options.data.root}; admin password ${passwordOrigin(credentials.source, generated)}`,
  });
  if (generated) {
    options.progress({ kind: "step", text: `Generated the admin password: ${generated}` });
    options.progress({
      kind: "step",
      text: "It is stored only as a hash and will not be shown again; set FAASO_PASSWORD to choose one.",
    });
  }

  if (options.build?.githubMirror || options.build?.network) {
    options.progress({ kind: "step", text: `Builds: ${describeBuildSettings(options.build)}` });
  }
  // Build contexts of a server that died mid-build are of no use to anyone.
  await Deno.remove(options.data.uploadsFolder, { recursive: true }).catch(() => {});
  const { instances, secrets, registry } = await instancesFor(docker, options);
  // Funkos put to sleep stay asleep across restarts (DATA/sleep.json).
  const sleeping = await SleepStates.open(options.data);

  const table = new RoutingTable();
  const metrics = options.metrics === false ? undefined : new Metrics({ table });
  const metricsToken = await MetricsToken.load(options.data);
  const lifecycle = {
    docker,
    instances,
    registry,
    drain: (retiring: Instance[], ms: number) => drainInTable(table, retiring.map((instance) => instance.id), ms),
  };
  const scaling = await startScaling({
    docker,
    table,
    lifecycle,
    states: sleeping,
    progress: options.progress,
    // Wakes and their duration: faaso_wakes_total, faaso_wake_duration_seconds.
    onWake: (funko, ms) => {
      metrics?.recordWake(funko, ms);
      options.onWake?.(funko, ms);
    },
  });
  // Every funko back to its scale before the first request: stopped instances started, or replaced;
  // the stopped instances of sleeping funkos stay stopped. A swarm restarts and reschedules its tasks
  // itself: the keeper (and its sweep) is for containers.
  const keeper = instances.service ? undefined : new InstanceKeeper(lifecycle, {
    progress: options.progress,
    keepsStopped: (funko) => scaling.sleeper.keepsStopped(funko),
  });
  await keeper?.sweep();
  const watcher = new RouteWatcher(table, instances, {
    log: (message) => options.progress({ kind: "warning", text: message }),
    onEvent: (event) => {
      keeper?.observe(event);
      scaling.observe(event);
    },
    // After the engine was away (restarted, crashed), what it did meanwhile came with no event.
    onSync: (listed) => {
      scaling.synced(listed);
      keeper?.resync(listed);
    },
  });
  await watcher.start();

  const images = new Map<string, { exists: boolean; at: number }>();
  const proxy = createProxy({
    table,
    hold: scaling.hold,
    upstreamTimeoutMs: options.upstreamTimeoutMs,
    observer: metrics || accessLog ? new TrafficRecorder(metrics?.traffic, accessLog) : undefined,
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
  // Async calls and schedules go through the proxy's own handler, as any request does.
  const invocations = await startInvocations({
    docker,
    store: await WorkerCallStore.open(options.data.root),
    handler: proxy,
    log: (message) => options.progress({ kind: "warning", text: message }),
  });
  metrics?.addSource(callMetrics(invocations.store));
  // The admin API and web UI load on their first request: a proxy that only proxies stays small.
  const stopping = new AbortController();
  const deps: ServerDeps = {
    stopping: stopping.signal,
    lifecycle,
    scaling,
    docker,
    instances,
    table,
    credentials,
    secrets,
    throttle: new LoginThrottle(),
    data: options.data,
    keepBuilds,
    invocations,
    build: options.build,
    metrics,
    metricsToken,
  };
  let app: Promise<{ fetch: FetchHandler }> | undefined;
  const admin = async (request: ServerRequest) => {
    app ??= import("./admin/mod.ts").then((module) => module.createApp(deps));
    return serveFetch(request, (await app).fetch);
  };

  const handler: Http1Handler = (request) => {
    if (isFunkoTarget(request.target)) return proxy(request);
    if (isAsyncTarget(request.target)) return invocations.accept(request);
    // The container's healthcheck: answered without loading the admin side.
    if (request.target === "/ping") return PING;
    if (isMetricsTarget(request.target)) return scrape(request);
    return admin(request);
  };
  const scrape = metricsEndpoint(metrics, metricsToken, credentials);
  const { hostname, port } = server.addr;
  const threads = await startThreads({
    count: options.threads ?? 1,
    hostname: options.hostname,
    server,
    handler,
    table,
    metrics,
    upstreamTimeoutMs: options.upstreamTimeoutMs,
    accessLog: options.accessLog,
    onUnreachable: (endpoint) => watcher.probe(endpoint),
    progress: options.progress,
  });
  const url = `http://${hostname.includes(":") ? `[${hostname}]` : hostname}:${port}`;
  // Said once the server answers with the handler below: the listening line means ready.
  const announce = () => {
    if (threads) {
      options.progress({ kind: "step", text: `Proxy threads: ${threads.workers.counts.threads}` });
    }
    options.progress({
      kind: "step",
      text:
        `FaaSO ${VERSION} listening on ${url}: funkos at ${url}/funko/NAME/, the web UI and admin API at ${url}/admin/`,
    });
    if (metrics) {
      metrics.countConnections(() => {
        const workers = threads?.workers.counts.connectionsOfAll();
        return {
          client: server.openConnections + (workers?.client ?? 0),
          upstream: proxy.openConnections() + (workers?.upstream ?? 0),
        };
      });
      metrics.start();
      options.progress({
        kind: "step",
        text: `Metrics at ${url}/metrics for the bearer token in ${metricsToken.source}`,
      });
    }
    if (accessLog) {
      const where = options.accessLog!.destination === "-" ? "stderr" : options.accessLog!.destination;
      options.progress({ kind: "step", text: `Access log (${accessLog.format}) to ${where}` });
    }
  };
  await writeServeFile(options.data, localUrl(hostname, port));

  const finished = Promise.all([server.finished, threads?.finished]).then(() => {}).finally(async () => {
    keeper?.stop();
    await scaling.stop();
    await invocations.stop();
    proxy.close();
    metrics?.stop();
    await accessLog?.close();
    await removeServeFile(options.data);
    await watcher.stop();
    docker.close();
  });
  const running: RunningServer = {
    url,
    finished,
    shutdown: async () => {
      // First stop starting instances: when the engine itself is shutting down (it sends the proxy
      // SIGTERM too), starting containers it is stopping leaves it stale tasks it cannot restart.
      keeper?.stop();
      // Nothing is put to sleep or scaled from now on (a stop step cut short by the exit would leave an instance
      // thawed); an engine operation already under way ends first.
      const scalingStopped = scaling.stop();
      // Deliveries in flight are cut and stay queued, before the proxy's connections close under them.
      const stopped = invocations.stop();
      server.shutdown();
      threads?.shutdown();
      // Requests in flight get a moment to finish; streams that never end (followed logs, SSE
      // through the proxy) are then cut, so that a stop takes seconds, not the engine's patience.
      const cut = setTimeout(() => {
        stopping.abort();
        proxy.close();
        server.closeAll();
        threads?.closeAll();
      }, STREAM_GRACE_MS);
      await Promise.all([finished, stopped, scalingStopped]);
      clearTimeout(cut);
    },
  };
  return { handler, running, announce };
}

/**
 * Containers on faaso-net with their secrets in the data folder, or, when the
 * engine manages a swarm (or swarm mode is asked for), swarm services on the
 * overlay network faaso-net with Swarm secrets.
 */
async function instancesFor(
  docker: Docker,
  options: ServeOptions,
): Promise<{ instances: InstanceBackend; secrets: SecretBackend; registry?: string }> {
  const swarm = await detectSwarm(docker, options.swarm ?? { setting: "auto" });
  if (swarm) {
    const { SwarmInstances, SwarmSecretStore } = await import("../core/swarm/mod.ts");
    const instances = new SwarmInstances(docker, swarm);
    await instances.service.ensureNetwork();
    const nodes = await docker.nodes.list();
    options.progress({
      kind: "step",
      text: `Swarm mode: ${nodes.length} nodes, funkos are services faaso-NAME on the overlay network ${NETWORK}; ` +
        (swarm.registry ? `builds are pushed to ${swarm.registry}` : "no registry (FAASO_REGISTRY): one node only"),
    });
    return { instances, secrets: new SwarmSecretStore(instances.service), registry: swarm.registry };
  }
  const secrets = new SecretStore(options.data, { hostPath: await hostPathResolver(docker) });
  const instances = new ContainerInstances(docker, { secretsFolder: (funko) => secrets.hostFolderOf(funko) });
  await docker.networks.ensure(NETWORK, { labels: { [LABELS.role]: "network" } });
  return { instances, secrets };
}

/** Where the admin password comes from, for the start line. */
function passwordOrigin(source: PasswordSource, generated: string | undefined): string {
  if (source === "FAASO_PASSWORD") return "from FAASO_PASSWORD";
  if (source === "config.yml") return "from config.yml";
  if (generated) return "generated now (below)";
  return "generated on the first start (only its hash is kept; delete auth.json for a new one)";
}
