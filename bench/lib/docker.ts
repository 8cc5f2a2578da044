/**
 * What the benchmark asks the engine itself, through FaaSO's own Engine API
 * client and instance listing: the bench funko's instances, their faaso-net
 * addresses and health, and the engine's event stream.
 *
 * @module
 */
import { Docker, type DockerEvent } from "../../docker/mod.ts";
import { ContainerInstances } from "../../core/container_instances.ts";
import { NETWORK } from "../../core/names.ts";

export type { DockerEvent } from "../../docker/mod.ts";

const docker = Docker.fromEnv();
const instances = new ContainerInstances(docker);

/** An instance of a funko as the engine reports it. */
export interface BenchInstance {
  /** Container ID. */
  id: string;
  /** Container name (also its FAASO_INSTANCE). */
  name: string;
  /** Its address on faaso-net ("" when it has none yet). */
  ip: string;
  /** Docker's health verdict: starting, healthy, unhealthy, or "none". */
  health: string;
  /** Whether it is running. */
  running: boolean;
  /** Whether it is a warm spare (`faaso-NAME-spare-xxxxxx`). */
  spare: boolean;
}

/** The funko's instance containers (running or not); its warm spares only when asked for. */
export async function instancesOf(funko: string, options: { spares?: boolean } = {}): Promise<BenchInstance[]> {
  const listed = (await instances.list(funko)).filter((instance) => !instance.spare || options.spares);
  return listed.map((instance) => ({
    id: instance.id,
    name: instance.name,
    ip: instance.address ?? "",
    health: instance.health,
    running: instance.state === "running",
    spare: instance.spare === true,
  }));
}

/** The engine's version and API version. */
export async function engineVersion(): Promise<string> {
  const version = await docker.system.version();
  return `${version.Version} (API ${version.ApiVersion})`;
}

/** A subscription to the engine's events. */
export interface EventStream {
  /** Resolves with the first event matching `predicate` delivered from now on. */
  next(predicate: (event: DockerEvent) => boolean, timeoutMs?: number): Promise<DockerEvent & { receivedMs: number }>;
  /** Ends the subscription. */
  close(): void;
}

/**
 * Subscribes to the container events of a funko's instances (not of plain
 * containers of its image, which carry its `faaso.funko` label too); each
 * event is stamped when it arrives.
 */
export async function subscribeEvents(funko: string): Promise<EventStream> {
  const abort = new AbortController();
  const stream = await docker.events.stream({
    filters: { type: ["container"], label: [`faaso.funko=${funko}`, "faaso.role=instance"] },
    signal: abort.signal,
  });
  type Waiter = {
    predicate: (event: DockerEvent) => boolean;
    resolve: (event: DockerEvent & { receivedMs: number }) => void;
    reject: (error: Error) => void;
  };
  const waiters = new Set<Waiter>();
  (async () => {
    try {
      for await (const raw of stream) {
        const event = { ...raw, receivedMs: Date.now() };
        for (const waiter of [...waiters]) {
          if (!waiter.predicate(event)) continue;
          waiters.delete(waiter);
          waiter.resolve(event);
        }
      }
    } catch {
      // Closed.
    }
  })();
  return {
    next: (predicate, timeoutMs = 60_000) =>
      new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          waiters.delete(waiter);
          reject(new Error(`No matching docker event within ${timeoutMs} ms`));
        }, timeoutMs);
        const waiter: Waiter = {
          predicate,
          resolve: (event) => {
            clearTimeout(timer);
            resolve(event);
          },
          reject: (error) => {
            clearTimeout(timer);
            reject(error);
          },
        };
        waiters.add(waiter);
      }),
    // A waiter left when the stream closes would wait out its whole timeout (scenario 12 hung on it for an hour).
    close: () => {
      abort.abort();
      for (const waiter of waiters) waiter.reject(new Error("The event stream was closed"));
      waiters.clear();
    },
  };
}

/** A container's address on faaso-net ("" when it has none). */
export async function containerIp(nameOrId: string): Promise<string> {
  const info = await docker.containers.inspectOrNull(nameOrId);
  return info?.NetworkSettings.Networks?.[NETWORK]?.IPAddress ?? "";
}
