/**
 * Scale, deploy and rm of a funko that is a swarm service: replicas, a
 * rolling update (rollout.ts), removal of the service. Results and errors are
 * those of single-host mode.
 *
 * @module
 */
import type { Docker, Service } from "../../docker/mod.ts";
import type { DeployOptions, DeployResult } from "../deploy.ts";
import { FaasoError, notFound } from "../errors.ts";
import type { FunkoService, Instance } from "../instances.ts";
import { settingsFromLabels } from "../manifest.ts";
import { imageRepo, LABELS, latestImage, NETWORK } from "../names.ts";
import { type Progress, silent } from "../progress.ts";
import type { ScaleResult, StartOptions } from "../scale.ts";
import { counted } from "../words.ts";
import type { SwarmInstances } from "./instances.ts";
import type { SwarmMode } from "./mode.ts";
import { registryRepo, serviceImage } from "./registry.ts";
import { deployService } from "./rollout.ts";
import { secretReferences } from "./secret_versions.ts";
import { funkoServiceSpec, replicasOf, serviceName } from "./spec.ts";
import { isServing, POLL_MS, sleep } from "./tasks.ts";

/** How long scale waits for the count asked for. */
const SCALE_TIMEOUT_MS = 120_000;
/** Failed task starts after which a scale stops waiting and says why. */
const FAILURES_TOLERATED = 3;

/** The swarm's side of scale, deploy and rm. */
export class SwarmService implements FunkoService {
  /** The engine (a manager). */
  readonly docker: Docker;
  /** The funkos' tasks. */
  readonly instances: SwarmInstances;
  /** Where nodes pull images from. */
  readonly registry: string | undefined;
  #network: Promise<unknown> | undefined;

  constructor(docker: Docker, instances: SwarmInstances, mode: SwarmMode = {}) {
    this.docker = docker;
    this.instances = instances;
    this.registry = mode.registry;
  }

  /** The replicas a funko's service asks for; null without a service. */
  async desired(funko: string, signal?: AbortSignal): Promise<number | null> {
    const service = await this.docker.services.inspectOrNull(serviceName(funko), signal);
    return service ? replicasOf(service.Spec) : null;
  }

  /**
   * Sets the service's replicas (creating the service from the latest image
   * when there is none) and, unless `options.wait` is false, waits until that
   * many serve (`options.timeoutMs`, default 120 s).
   */
  async scale(
    funko: string,
    target: number,
    progress: Progress = silent,
    options: StartOptions = {},
  ): Promise<ScaleResult> {
    const name = serviceName(funko);
    const service = await this.docker.services.inspectOrNull(name);
    const before = await this.instances.list(funko);
    const known = new Set((await this.instances.tasks(funko)).map((task) => task.ID));
    if (!service) {
      if (target === 0) {
        if (!await this.docker.images.inspectOrNull(latestImage(funko))) {
          throw notFound(`No funko named ${funko}: there is no image ${latestImage(funko)} and no instance of it`);
        }
        return { funko, before: 0, after: 0, started: [], removed: [] };
      }
      await this.create(funko, target, progress);
    } else if (replicasOf(service.Spec) !== target) {
      progress({
        kind: "step",
        text: `Scaling the service ${name} to ${counted(target, "task")} (was ${replicasOf(service.Spec)})`,
      });
      const spec = { ...service.Spec, Mode: { Replicated: { Replicas: target } } };
      await this.docker.services.update(service.ID, service.Version.Index, spec);
    }
    const after = options.wait === false
      ? (await this.instances.list(funko)).filter(isServing)
      : await this.waitForReplicas(funko, target, known, progress, options.timeoutMs);
    const ids = new Set(after.map((instance) => instance.id));
    const was = new Set(before.map((instance) => instance.id));
    return {
      funko,
      before: before.filter(isServing).length,
      after: options.wait === false ? target : after.length,
      started: after.filter((instance) => !was.has(instance.id)).map((instance) => instance.name),
      removed: before.filter((instance) => !ids.has(instance.id)).map((instance) => instance.name),
    };
  }

  /** Rolls the service onto the latest build: see rollout.ts. */
  deploy(funko: string, options: DeployOptions, progress: Progress = silent): Promise<DeployResult> {
    return deployService(this, funko, options, progress);
  }

  /**
   * Removes the service and waits until its tasks are gone, with their
   * containers on this node (stopped ones of past tasks too: they would keep
   * the images in use); the local registry tags of its images go too.
   */
  async remove(funko: string, progress: Progress = silent): Promise<string[] | null> {
    const service = await this.docker.services.inspectOrNull(serviceName(funko));
    const names = service ? (await this.instances.list(funko)).map((instance) => instance.name) : null;
    if (service) {
      progress({ kind: "step", text: `Removing the service ${service.Spec.Name} (${counted(names!.length, "task")})` });
      await this.docker.services.remove(service.ID);
      const containers = { label: [`com.docker.swarm.service.id=${service.ID}`] };
      const deadline = Date.now() + 60_000;
      while (Date.now() < deadline) {
        const [tasks, left] = await Promise.all([this.instances.list(funko), this.docker.containers.list(containers)]);
        if (tasks.length === 0 && left.length === 0) break;
        await sleep(POLL_MS);
      }
    }
    if (this.registry) {
      const repo = registryRepo(this.registry, funko);
      for (const image of await this.docker.images.list({ reference: [repo] })) {
        for (const tag of image.RepoTags ?? []) if (tag.startsWith(`${repo}:`)) await this.docker.images.remove(tag);
      }
    }
    return names;
  }

  /** Creates the funko's service: its latest build (pushed first if needed), its settings and secrets, on faaso-net. */
  async create(funko: string, replicas: number, progress: Progress): Promise<Service> {
    await this.checkRegistry(funko);
    const image = await serviceImage(this.docker, funko, this.registry, progress);
    await this.ensureNetwork();
    const spec = funkoServiceSpec({
      funko,
      image: image.reference,
      settings: settingsFromLabels(image.image.Config.Labels),
      replicas,
      secrets: await secretReferences(this.docker, funko),
    });
    progress({
      kind: "step",
      text: `Creating the service ${spec.Name}: ${counted(replicas, "task")} of ${image.tag}`,
    });
    const created = await this.docker.services.create(spec);
    if (created.Warning) progress({ kind: "warning", text: created.Warning });
    const service = await this.docker.services.inspectOrNull(created.ID);
    if (!service) throw new Error(`Cannot find the service ${spec.Name}: it vanished right after it was created`);
    return service;
  }

  /** Nodes cannot share the manager's images: a swarm of several nodes needs a registry. */
  async checkRegistry(funko: string): Promise<void> {
    if (this.registry) return;
    const nodes = await this.docker.nodes.list();
    if (nodes.length <= 1) return;
    throw new FaasoError(
      `Cannot run ${funko} on a swarm of ${nodes.length} nodes without a registry: nodes cannot share this ` +
        `engine's images. Set FAASO_REGISTRY (faaso serve --registry) to a registry every node can pull from`,
    );
  }

  /** The attachable overlay network faaso-net: tasks, the proxy and containers of any node can join it. */
  async ensureNetwork(): Promise<void> {
    const labels = { [LABELS.role]: "network" };
    await (this.#network ??= this.docker.networks.ensure(NETWORK, { driver: "overlay", attachable: true, labels })
      .then((network) => {
        if (network.Driver !== "overlay") {
          throw new FaasoError(
            `Cannot use ${NETWORK} for the swarm: it is a ${network.Driver} network on this engine (from ` +
              `single-host mode); remove it (docker network rm ${NETWORK}) once no container uses it`,
          );
        }
      })).catch((error) => {
        this.#network = undefined;
        throw error;
      });
  }

  /**
   * Waits until exactly `target` tasks serve and none is starting or being
   * replaced, reporting each that starts serving. Gives up, saying why, after
   * repeated failed starts (tasks not in `known`) or the timeout; the swarm
   * itself keeps trying.
   */
  async waitForReplicas(
    funko: string,
    target: number,
    known: ReadonlySet<string>,
    progress: Progress,
    timeoutMs = SCALE_TIMEOUT_MS,
  ): Promise<Instance[]> {
    const deadline = Date.now() + timeoutMs;
    const reported = new Set<string>();
    while (true) {
      const [current, tasks] = await Promise.all([this.instances.list(funko), this.instances.tasks(funko)]);
      const serving = current.filter(isServing);
      for (const instance of serving) {
        if (reported.has(instance.id) || known.has(instance.id)) continue;
        reported.add(instance.id);
        progress({ kind: "step", text: `Started ${instance.name}${instance.node ? ` on ${instance.node}` : ""}` });
      }
      if (serving.length === target && current.length === target) return serving;
      const failed = tasks.filter((task) =>
        !known.has(task.ID) && (task.Status.State === "failed" || task.Status.State === "rejected")
      ).sort((a, b) => b.UpdatedAt.localeCompare(a.UpdatedAt));
      const last = failed[0];
      const problem = last ? `${imageRepo(funko)}.${last.Slot ?? ""}: ${last.Status.Err ?? last.Status.Message}` : "";
      if (failed.length >= FAILURES_TOLERATED || Date.now() >= deadline) {
        const why = failed.length >= FAILURES_TOLERATED
          ? `${counted(failed.length, "task")} failed to start (last: ${problem})`
          : `${counted(serving.length, "task")} of ${target} serving after ${timeoutMs / 1000} s` +
            (problem ? ` (last problem: ${problem})` : "");
        throw new FaasoError(
          `Cannot run ${funko} with ${counted(target, "instance")}: ${why}. The swarm keeps trying; ` +
            `faaso status ${funko} shows its tasks, faaso down ${funko} stops them`,
          { status: 409, code: "scale_failed" },
        );
      }
      await sleep(POLL_MS);
    }
  }
}
