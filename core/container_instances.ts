/**
 * Instances as plain containers on faaso-net (the one-machine
 * {@linkcode InstanceBackend}): how an instance's container is made, listed,
 * started, repaired and stopped.
 *
 * @module
 */
import type {
  ContainerCreateBody,
  ContainerInspect,
  ContainerSummary,
  Docker,
  DockerEvent,
  LogLine,
} from "../docker/mod.ts";
import { LogLineStream } from "../docker/mod.ts";
import { type ContainerRepairDeps, repairContainer, replaceContainer } from "./container_repair.ts";
import { notFound } from "./errors.ts";
import { type FunkoSettings, memoryToBytes, settingsFromLabels } from "./manifest.ts";
import {
  instanceFilters,
  instanceName,
  isSpareName,
  LABELS,
  latestImage,
  NETWORK,
  spareName,
  takenSpareName,
} from "./names.ts";
import { SECRETS_MOUNT } from "./secrets.ts";
import { type InstanceEvent, toInstanceEvent } from "./instance_events.ts";
import { CONTAINER_CAPABILITIES } from "./instance_capabilities.ts";
import {
  engineHealthcheck,
  healthFromStatus,
  type Instance,
  type InstanceBackend,
  instanceLabels,
  type InstanceLogsOptions,
  type InstanceState,
  probeLabels,
  type Repair,
} from "./instances.ts";

/** Options for {@linkcode ContainerInstances}. */
export interface ContainerInstancesOptions {
  /**
   * The folder holding a funko's secrets, as the engine's host sees it, to
   * mount read-only at /secrets. Without it instances get no secrets.
   */
  secretsFolder?: (funko: string) => Promise<string>;
}

/** Instances as plain containers on faaso-net, labelled `faaso.funko=NAME`. */
export class ContainerInstances implements InstanceBackend {
  readonly capabilities = CONTAINER_CAPABILITIES;
  #docker: Docker;
  #network: Promise<unknown> | undefined;
  #secretsFolder: ContainerInstancesOptions["secretsFolder"];

  constructor(docker: Docker, options: ContainerInstancesOptions = {}) {
    this.#docker = docker;
    this.#secretsFolder = options.secretsFolder;
  }

  /** Lists the funko's instance containers (all funkos' without a name), newest first. */
  async list(funko?: string, signal?: AbortSignal): Promise<Instance[]> {
    const containers = await this.#docker.containers.list(instanceFilters(funko), { signal });
    return containers.map(toInstance).sort((a, b) => b.created.getTime() - a.created.getTime());
  }

  /** Inspects one instance container; null when it is gone. */
  async get(id: string, signal?: AbortSignal): Promise<Instance | null> {
    const container = await this.#docker.containers.inspectOrNull(id, signal);
    if (!container?.Config.Labels?.[LABELS.funko]) return null;
    const health = container.State.Health?.Status;
    const name = container.Name.replace(/^\//, "");
    const funko = container.Config.Labels[LABELS.funko] ?? "";
    return {
      id: container.Id,
      name,
      funko,
      ...(isSpareName(funko, name) ? { spare: true } : {}),
      state: container.State.Status as InstanceState,
      health: health && health !== "none" ? health : "none",
      address: container.NetworkSettings.Networks[NETWORK]?.IPAddress || undefined,
      ...probeLabels(container.Config.Labels),
      imageId: container.Image,
      created: new Date(container.Created),
      restarts: container.RestartCount,
      retiring: container.HostConfig.RestartPolicy?.Name === "no",
      secretsFolder: container.Mounts?.find((mount) => mount.Destination === SECRETS_MOUNT)?.Source,
      ...await this.#lastExit(container, signal),
    };
  }

  /**
   * How the container's last run ended. Between runs the engine says so
   * itself; once a crashed container runs again it reports exit code 0 and no
   * OOM kill, and only its last `die` event (the engine keeps recent ones),
   * and an `oom` event just before it, still tell.
   */
  async #lastExit(
    container: ContainerInspect,
    signal?: AbortSignal,
  ): Promise<Pick<Instance, "exitCode" | "oomKilled">> {
    const state = container.State;
    if (!state.Running && state.FinishedAt && !state.FinishedAt.startsWith("0001")) {
      return { exitCode: state.ExitCode, ...(state.OOMKilled ? { oomKilled: true } : {}) };
    }
    if (!container.RestartCount) return {};
    const events = await this.#docker.events.stream({
      filters: { type: ["container"], container: [container.Id], event: ["die", "oom"] },
      since: Math.floor(Date.parse(container.Created) / 1000),
      until: Math.ceil(Date.now() / 1000),
      signal,
    });
    let last: Pick<Instance, "exitCode" | "oomKilled"> = {};
    let oom = false;
    for await (const event of events) {
      if (event.Action === "oom") oom = true;
      else {
        const code = event.Actor.Attributes.exitCode;
        last = { ...(code === undefined ? {} : { exitCode: Number(code) }), ...(oom ? { oomKilled: true } : {}) };
        oom = false;
      }
    }
    return last;
  }

  /** Container events of instances, as {@linkcode InstanceEvent}s. */
  async events(signal?: AbortSignal): Promise<ReadableStream<InstanceEvent>> {
    const events = await this.#docker.events.stream({
      filters: { type: ["container"], label: [`${LABELS.role}=instance`] },
      signal,
    });
    return events.pipeThrough(
      new TransformStream<DockerEvent, InstanceEvent>({
        transform(event, controller) {
          const change = toInstanceEvent(event);
          if (change) controller.enqueue(change);
        },
      }),
    );
  }

  /**
   * Creates `faaso-NAME-xxxxxx` from `faaso-NAME:latest` on faaso-net (with the
   * network alias NAME, so other containers can reach `http://NAME:PORT`),
   * restart policy `always` (see {@linkcode RESTART_POLICY}), the settings the image carries (env,
   * limits, healthcheck, port and health path as labels) and the funko's
   * secrets at /secrets, and starts it.
   * A container that cannot start is removed again.
   */
  create(funko: string, signal?: AbortSignal): Promise<Instance> {
    const name = instanceName(funko);
    return this.#createNamed(funko, name, name, signal);
  }

  /**
   * Creates and starts a warm spare, `faaso-NAME-spare-xxxxxx`: made like an
   * instance, named apart; its FAASO_INSTANCE is the name it takes in service.
   */
  createSpare(funko: string, signal?: AbortSignal): Promise<Instance> {
    const name = spareName(funko);
    return this.#createNamed(funko, name, takenSpareName(funko, name), signal);
  }

  /**
   * Takes a spare into service: `docker rename` to its instance name (a
   * `rename` event every proxy sees), then `docker unpause` when paused.
   */
  async takeSpare(spare: Instance, signal?: AbortSignal): Promise<Instance> {
    const name = takenSpareName(spare.funko, spare.name);
    await this.#docker.containers.rename(spare.id, name, signal);
    if (spare.state === "paused") await this.#docker.containers.unpause(spare.id, signal);
    return { ...spare, name, spare: undefined, state: "running" };
  }

  async #createNamed(funko: string, name: string, serving: string, signal?: AbortSignal): Promise<Instance> {
    const image = await this.#docker.images.inspectOrNull(latestImage(funko), signal);
    if (!image) throw notFound(`Cannot start ${funko}: there is no image ${latestImage(funko)}`);
    const secrets = this.#secretsFolder ? await this.#secretsFolder(funko) : undefined;
    return await this.#createAndStart(
      name,
      instanceConfig(funko, serving, settingsFromLabels(image.Config.Labels), secrets),
      signal,
    );
  }

  async #createAndStart(name: string, config: ContainerCreateBody, signal?: AbortSignal): Promise<Instance> {
    await (this.#network ??= this.#docker.networks.ensure(NETWORK, { labels: { [LABELS.role]: "network" } }))
      .catch((error) => {
        this.#network = undefined;
        throw error;
      });
    const id = await this.#docker.containers.create(name, config, signal);
    try {
      await this.#docker.containers.start(id, signal);
    } catch (error) {
      await this.#docker.containers.remove(id, { force: true });
      throw error;
    }
    const created = await this.get(id, signal);
    if (!created) throw new Error(`Cannot find the instance ${name}: it vanished right after it started`);
    return created;
  }

  /**
   * Starts a stopped instance container; one stopped to sleep gets its
   * restart policy back first (see `stop`).
   */
  async start(instance: Instance, signal?: AbortSignal): Promise<void> {
    const off = instance.retiring ??
      (await this.#docker.containers.inspectOrNull(instance.id, signal))?.HostConfig.RestartPolicy?.Name === "no";
    if (off) await this.#docker.containers.update(instance.id, { RestartPolicy: { Name: RESTART_POLICY } }, signal);
    await this.#docker.containers.start(instance.id, signal);
  }

  /** `docker pause`. */
  async pause(instance: Instance, signal?: AbortSignal): Promise<void> {
    await this.#docker.containers.pause(instance.id, signal);
  }

  /** `docker unpause`. */
  async unpause(instance: Instance, signal?: AbortSignal): Promise<void> {
    await this.#docker.containers.unpause(instance.id, signal);
  }

  /**
   * Turns the restart policy off (so that neither Docker after a restart nor
   * any FaaSO's keeper starts it again: it sleeps), thaws it when paused, and
   * `docker stop`s it; the container stays. `start` turns the policy back on.
   */
  async stop(instance: Instance, timeoutSeconds = 10, signal?: AbortSignal): Promise<void> {
    await this.#docker.containers.update(instance.id, { RestartPolicy: { Name: "no" } }, signal);
    const now = await this.#docker.containers.inspectOrNull(instance.id, signal);
    if (now?.State.Paused) await this.#docker.containers.unpause(instance.id, signal);
    await this.#docker.containers.stop(instance.id, timeoutSeconds, signal);
  }

  /** Starts the container, else removes it and creates a replacement: see core/container_repair.ts. */
  repair(instance: Instance, signal?: AbortSignal): Promise<Repair> {
    return repairContainer(this.#repairDeps, instance, signal);
  }

  /** Creates a container like the instance's (its image, settings and secrets): see core/container_repair.ts. */
  replace(instance: Instance, signal?: AbortSignal): Promise<Instance> {
    return replaceContainer(this.#repairDeps, instance, signal);
  }

  get #repairDeps(): ContainerRepairDeps {
    return {
      docker: this.#docker,
      get: (id, signal) => this.get(id, signal),
      createAndStart: (name, config, signal) => this.#createAndStart(name, config, signal),
      config: instanceConfig,
      secretsFolder: this.#secretsFolder,
    };
  }

  /**
   * Turns the container's restart policy off: an `update` event every proxy
   * sees. One retired, stopped or removed meanwhile by someone else (the
   * proxy's autoscaler shrinking while a local deploy retires the same old
   * instance: "cannot update a deleted process") is retired already.
   */
  async retire(instance: Instance, signal?: AbortSignal): Promise<void> {
    try {
      await this.#docker.containers.update(instance.id, { RestartPolicy: { Name: "no" } }, signal);
    } catch (error) {
      const now = await this.#docker.containers.inspectOrNull(instance.id, signal);
      if (now && now.State.Running && now.HostConfig.RestartPolicy?.Name !== "no") throw error;
    }
  }

  /** Stops the container (SIGTERM, then SIGKILL after the timeout) and removes it. */
  async remove(instance: Instance, timeoutSeconds = 10, signal?: AbortSignal): Promise<void> {
    if (instance.state === "running" || instance.state === "restarting" || instance.state === "paused") {
      try {
        await this.#docker.containers.stop(instance.id, timeoutSeconds, signal);
      } catch {
        // Stopping is a courtesy; removal with force below is what counts.
      }
    }
    await this.#docker.containers.remove(instance.id, { force: true, signal });
  }

  /** The container's output, line by line. */
  async logs(instance: Instance, options: InstanceLogsOptions = {}): Promise<ReadableStream<LogLine>> {
    const inspect = await this.#docker.containers.inspectOrNull(instance.id, options.signal);
    const chunks = await this.#docker.containers.logs(instance.id, {
      follow: options.follow,
      tail: options.tail,
      since: options.since,
      tty: inspect?.Config.Tty ?? false,
      signal: options.signal,
    });
    return chunks.pipeThrough(new LogLineStream());
  }
}

/**
 * The restart policy of instances. `always`, not `unless-stopped`: after a
 * crash of dockerd (kill -9, OOM), Docker 20.10 brings `always` containers
 * back when it starts again and leaves `unless-stopped` ones exited (seen
 * every time, tests/faults_test.ts). While the engine runs they behave the
 * same; FaaSO turns the policy off (`no`) for an instance it retires.
 */
export const RESTART_POLICY = "always";

/**
 * The container of an instance: `faaso-NAME:latest` with the funko's settings
 * applied, on faaso-net with the alias NAME, restarted unless stopped, and its
 * secrets folder (a host path) mounted read-only at /secrets. Its labels say
 * which port it listens on and how it is checked.
 */
export function instanceConfig(
  funko: string,
  name: string,
  settings: FunkoSettings,
  secretsFolder?: string,
): ContainerCreateBody {
  return {
    Image: latestImage(funko),
    Hostname: funko,
    Env: [
      ...Object.entries(settings.env).map(([key, value]) => `${key}=${value}`),
      `FAASO_FUNKO=${funko}`,
      `FAASO_INSTANCE=${name}`,
    ],
    // The port and health path ride on the container, so a listing tells the proxy where and how to
    // reach each instance without asking the engine about its image.
    Labels: instanceLabels(funko, settings),
    // Without a command the image's own check (the runtime's GET /ping) stays.
    Healthcheck: engineHealthcheck(settings.healthcheck),
    HostConfig: {
      NetworkMode: NETWORK,
      RestartPolicy: { Name: RESTART_POLICY },
      ...(settings.memory ? { Memory: memoryToBytes(settings.memory) } : {}),
      ...(settings.cpus ? { NanoCpus: Math.round(settings.cpus * 1e9) } : {}),
      ...(secretsFolder ? { Binds: [`${secretsFolder}:${SECRETS_MOUNT}:ro`] } : {}),
    },
    NetworkingConfig: { EndpointsConfig: { [NETWORK]: { Aliases: [funko] } } },
  };
}

/** Reads an instance from a container listing. */
export function toInstance(container: ContainerSummary): Instance {
  const name = container.Names[0]?.replace(/^\//, "") ?? container.Id.slice(0, 12);
  const funko = container.Labels[LABELS.funko] ?? "";
  return {
    id: container.Id,
    name,
    funko,
    ...(isSpareName(funko, name) ? { spare: true } : {}),
    state: container.State as InstanceState,
    health: healthFromStatus(container.Status),
    address: container.NetworkSettings?.Networks?.[NETWORK]?.IPAddress || undefined,
    ...probeLabels(container.Labels),
    imageId: container.ImageID,
    created: new Date(container.Created * 1000),
  };
}
