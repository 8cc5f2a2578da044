/**
 * The few Docker Engine API calls the benchmark makes itself, over the unix
 * socket: the bench funko's instances, their faaso-net addresses and health,
 * and the engine's event stream.
 *
 * @module
 */

const SOCKET = Deno.env.get("DOCKER_HOST")?.replace(/^unix:\/\//, "") || "/var/run/docker.sock";
const client = Deno.createHttpClient({ proxy: { transport: "unix", path: SOCKET } });
const BASE = "http://docker/v1.41";

/** An instance of a funko as the engine reports it. */
export interface BenchInstance {
  /** Container ID. */
  id: string;
  /** Container name without the leading slash (also its FAASO_INSTANCE). */
  name: string;
  /** Its address on faaso-net ("" when it has none yet). */
  ip: string;
  /** Docker's health verdict: starting, healthy, unhealthy, or "none". */
  health: string;
  /** Whether it is running. */
  running: boolean;
}

interface ContainerSummary {
  Id: string;
  Names: string[];
  State: string;
  Status: string;
  NetworkSettings: { Networks: Record<string, { IPAddress: string }> };
}

/** GETs a JSON document from the engine. */
async function getJson<T>(path: string): Promise<T> {
  const response = await fetch(`${BASE}${path}`, { client });
  if (!response.ok) throw new Error(`docker GET ${path}: ${response.status} ${await response.text()}`);
  return await response.json() as T;
}

/** The funko's instance containers (running or not). */
export async function instancesOf(funko: string): Promise<BenchInstance[]> {
  const filters = encodeURIComponent(JSON.stringify({ label: [`faaso.funko=${funko}`, "faaso.role=instance"] }));
  const list = await getJson<ContainerSummary[]>(`/containers/json?all=1&filters=${filters}`);
  return list.map((c) => ({
    id: c.Id,
    name: (c.Names[0] ?? "").replace(/^\//, ""),
    ip: c.NetworkSettings.Networks["faaso-net"]?.IPAddress ?? "",
    health: /\(healthy\)/.test(c.Status)
      ? "healthy"
      : /\(unhealthy\)/.test(c.Status)
      ? "unhealthy"
      : /starting\)/.test(c.Status)
      ? "starting"
      : "none",
    running: c.State === "running",
  }));
}

/** The engine's version and API version. */
export async function engineVersion(): Promise<string> {
  const version = await getJson<{ Version: string; ApiVersion: string }>("/version");
  return `${version.Version} (API ${version.ApiVersion})`;
}

/** One engine event, as the event stream delivers it. */
export interface DockerEvent {
  /** Object type (container, network, ...). */
  Type: string;
  /** What happened: start, die, "health_status: healthy", ... */
  Action: string;
  /** The object. */
  Actor: { ID: string; Attributes: Record<string, string> };
  /** When, in nanoseconds since the epoch. */
  timeNano: number;
}

/** A subscription to the engine's events. */
export interface EventStream {
  /** Resolves with the first event matching `predicate` delivered from now on. */
  next(predicate: (event: DockerEvent) => boolean, timeoutMs?: number): Promise<DockerEvent & { receivedMs: number }>;
  /** Ends the subscription. */
  close(): void;
}

/** Subscribes to the container events of a funko's instances. */
export async function subscribeEvents(funko: string): Promise<EventStream> {
  const abort = new AbortController();
  const filters = encodeURIComponent(JSON.stringify({ type: ["container"], label: [`faaso.funko=${funko}`] }));
  const response = await fetch(`${BASE}/events?filters=${filters}`, { client, signal: abort.signal });
  if (!response.ok || !response.body) throw new Error(`docker events: ${response.status}`);
  type Waiter = {
    predicate: (event: DockerEvent) => boolean;
    resolve: (e: DockerEvent & { receivedMs: number }) => void;
  };
  const waiters = new Set<Waiter>();
  (async () => {
    let buffer = "";
    try {
      for await (const chunk of response.body!.pipeThrough(new TextDecoderStream())) {
        buffer += chunk;
        let newline: number;
        while ((newline = buffer.indexOf("\n")) >= 0) {
          const line = buffer.slice(0, newline).trim();
          buffer = buffer.slice(newline + 1);
          if (!line) continue;
          const event = { ...JSON.parse(line) as DockerEvent, receivedMs: Date.now() };
          for (const waiter of [...waiters]) {
            if (waiter.predicate(event)) {
              waiters.delete(waiter);
              waiter.resolve(event);
            }
          }
        }
      }
    } catch { /* closed */ }
  })();
  return {
    next: (predicate, timeoutMs = 60_000) =>
      new Promise((resolve, reject) => {
        const waiter: Waiter = {
          predicate,
          resolve: (event) => {
            clearTimeout(timer);
            resolve(event);
          },
        };
        const timer = setTimeout(() => {
          waiters.delete(waiter);
          reject(new Error(`No matching docker event within ${timeoutMs} ms`));
        }, timeoutMs);
        waiters.add(waiter);
      }),
    close: () => abort.abort(),
  };
}

/** A container's address on faaso-net ("" when it has none). */
export async function containerIp(nameOrId: string): Promise<string> {
  const info = await getJson<{ NetworkSettings: { Networks: Record<string, { IPAddress: string }> } }>(
    `/containers/${encodeURIComponent(nameOrId)}/json`,
  );
  return info.NetworkSettings.Networks["faaso-net"]?.IPAddress ?? "";
}
