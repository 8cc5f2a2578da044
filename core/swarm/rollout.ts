/**
 * `faaso deploy` on a swarm: a service update that the swarm carries out one
 * task at a time (start-first, rollback on failure; see spec.ts), watched
 * here to report progress and, when the swarm rolls back, why.
 *
 * @module
 */
import type { Service, ServiceSpec, Task } from "../../docker/mod.ts";
import type { DeployOptions, DeployResult } from "../deploy.ts";
import { FaasoError } from "../errors.ts";
import type { Instance } from "../instances.ts";
import { settingsFromLabels } from "../manifest.ts";
import { imageRepo } from "../names.ts";
import { initialScale } from "../scaling.ts";
import { type Progress, silent } from "../progress.ts";
import { counted } from "../words.ts";
import { serviceImage } from "./registry.ts";
import { secretReferences } from "./secret_versions.ts";
import type { SwarmService } from "./service.ts";
import { funkoServiceSpec, replicasOf, serviceName } from "./spec.ts";
import { isServing, POLL_MS, sleep } from "./tasks.ts";

/** How long a rollback the deploy asked for (after its timeout) may take. */
const ROLLBACK_TIMEOUT_MS = 120_000;
/** How long the swarm gets to start an update it accepted before the deploy calls it a no-op. */
const START_TIMEOUT_MS = 15_000;

/** How a watched update ended. */
export interface RolloutOutcome {
  /** `completed`; `rolled_back` or `paused` (by the swarm); `timeout` (still going). */
  state: "completed" | "rolled_back" | "paused" | "timeout";
  /** The swarm's message ("update rolled back due to failure or early termination of task ..."). */
  message: string;
  /** The task that failed, when the message names one. */
  failed?: Task;
  /** Tasks that started serving during the update. */
  started: Instance[];
}

/**
 * Sends `spec` as an update of `service` and follows it until the swarm
 * completes it, rolls it back or pauses it, or `timeoutMs` passes. Each task
 * that starts serving is reported.
 */
export async function rollOut(
  swarm: SwarmService,
  service: Service,
  spec: ServiceSpec,
  timeoutMs: number,
  progress: Progress,
  rollback = false,
): Promise<RolloutOutcome> {
  const funko = spec.Labels?.["faaso.funko"] ?? "";
  const startedBefore = service.UpdateStatus?.StartedAt;
  const before = new Set((await swarm.instances.tasks(funko)).map((task) => task.ID));
  await swarm.docker.services.update(service.ID, service.Version.Index, spec, rollback ? { rollback: "previous" } : {});
  const deadline = Date.now() + timeoutMs;
  const begun = Date.now();
  const started = new Map<string, Instance>();
  // The swarm says why it rolls back when it starts; the end says only "rollback completed".
  let why = "";
  while (true) {
    await sleep(POLL_MS);
    const [now, current, tasks] = await Promise.all([
      swarm.docker.services.inspectOrNull(service.ID),
      swarm.instances.list(funko),
      swarm.instances.tasks(funko),
    ]);
    if (!now) throw new FaasoError(`Cannot finish the update of ${spec.Name}: the service was removed meanwhile`);
    // Tasks of the new spec only: those a rollback starts are the old version again.
    const fresh = new Set(tasks.filter((task) => !before.has(task.ID) && runsSpec(task, spec)).map((task) => task.ID));
    for (const instance of current.filter(isServing)) {
      if (!fresh.has(instance.id) || started.has(instance.id) || why) continue;
      started.set(instance.id, instance);
      const where = instance.node ? ` on ${instance.node}` : "";
      const of = replicasOf(spec) ? ` (${started.size} of ${replicasOf(spec)})` : "";
      progress({ kind: "step", text: `${instance.name}${where} is healthy${of}` });
    }
    const status = now.UpdateStatus;
    const begunNow = status?.StartedAt !== undefined && status.StartedAt !== startedBefore;
    if (begunNow && status?.State === "rollback_started" && !why && !rollback) {
      why = status.Message ?? "no reason given";
      progress({ kind: "warning", text: `The swarm is rolling ${spec.Name} back: ${why}` });
    }
    const message = why || (status?.Message ?? "");
    // The new instances are the new spec's tasks that are there at the end and not being replaced: on a saturated
    // machine the swarm may replace one that had turned healthy (reported above, gone or going now).
    const outcome = (state: RolloutOutcome["state"]) =>
      failedTask(swarm, message).then((failed) => ({
        state,
        message,
        started: why ? [] : current.filter((instance) => fresh.has(instance.id) && !instance.retiring),
        ...(failed ? { failed } : {}),
      }));
    if (begunNow && status?.State === "completed") return outcome("completed");
    if (begunNow && status?.State === "rollback_completed") return outcome(rollback ? "completed" : "rolled_back");
    if (begunNow && (status?.State === "paused" || status?.State === "rollback_paused")) return outcome("paused");
    // An update that changes no task starts no rollout: done once nothing is left to settle.
    if (!begunNow && Date.now() - begun > START_TIMEOUT_MS && current.every(isServing)) return outcome("completed");
    if (Date.now() >= deadline) return outcome("timeout");
  }
}

/** Whether a task was made from `spec`: its image, secrets and force counter. */
export function runsSpec(task: Task, spec: ServiceSpec): boolean {
  const secrets = (template: { ContainerSpec: { Secrets?: { SecretID: string }[] } }) =>
    (template.ContainerSpec.Secrets ?? []).map((secret) => secret.SecretID).sort().join(",");
  return task.Spec.ContainerSpec.Image === spec.TaskTemplate.ContainerSpec.Image &&
    (task.Spec.ForceUpdate ?? 0) === (spec.TaskTemplate.ForceUpdate ?? 0) &&
    secrets(task.Spec) === secrets(spec.TaskTemplate);
}

/** The task an update message names ("... of task abc123"), if any. */
async function failedTask(swarm: SwarmService, message: string): Promise<Task | undefined> {
  const id = /task ([a-z0-9]{10,})/.exec(message)?.[1];
  return id ? (await swarm.docker.tasks.inspectOrNull(id)) ?? undefined : undefined;
}

/** Rolls a funko's service onto its latest build; creates the service when there is none. */
export async function deployService(
  swarm: SwarmService,
  funko: string,
  options: DeployOptions,
  progress: Progress = silent,
): Promise<DeployResult> {
  await swarm.checkRegistry(funko);
  const image = await serviceImage(swarm.docker, funko, swarm.registry, progress);
  const settings = settingsFromLabels(image.image.Config.Labels);
  const result: DeployResult = { funko, image: image.image.Id, tag: image.tag, started: [], removed: [] };
  const service = await swarm.docker.services.inspectOrNull(serviceName(funko));
  if (!service) {
    const known = new Set((await swarm.instances.tasks(funko)).map((task) => task.ID));
    await swarm.create(funko, initialScale(settings), progress);
    const started = await swarm.waitForReplicas(funko, initialScale(settings), known, progress, options.timeoutMs);
    result.started = started.map((instance) => instance.name);
    progress({ kind: "step", text: `Deployed ${image.tag}: ${counted(started.length, "instance")}` });
    return result;
  }
  const replicas = replicasOf(service.Spec) || initialScale(settings);
  if (
    !options.force && service.Spec.TaskTemplate.ContainerSpec.Image === image.reference &&
    replicasOf(service.Spec) > 0
  ) {
    progress({ kind: "step", text: `Every instance of ${funko} already runs the newest image` });
    return result;
  }
  const old = (await swarm.instances.list(funko)).filter(isServing);
  const spec = funkoServiceSpec({
    funko,
    image: image.reference,
    settings,
    replicas,
    secrets: await secretReferences(swarm.docker, funko),
    current: service.Spec,
    ...(options.force ? { forceUpdate: (service.Spec.TaskTemplate.ForceUpdate ?? 0) + 1 } : {}),
  });
  const timeoutMs = options.timeoutMs ?? 120_000;
  progress({
    kind: "step",
    text: `Rolling ${image.tag} out to ${counted(replicas, "instance")}, one at a time: each new one must turn ` +
      `healthy before an old one drains (up to ${timeoutMs / 1000} s; the swarm rolls back on failure)`,
  });
  const outcome = await rollOut(swarm, service, spec, timeoutMs, progress);
  if (outcome.state === "completed" && outcome.started.length === 0) {
    // Only a hand-edited update config lets a swarm finish an update that started nothing healthy.
    throw new FaasoError(
      `Cannot deploy ${funko}: the swarm finished the update but no new instance serves: ` +
        await servingNote(swarm, funko, replicas),
      { status: 409, code: "deploy_failed" },
    );
  }
  if (outcome.state === "completed") {
    result.started = outcome.started.map((instance) => instance.name);
    result.removed = old.map((instance) => instance.name);
    progress({ kind: "step", text: `Deployed ${image.tag}: ${counted(replicas, "instance")}` });
    return result;
  }
  throw await deployFailure(swarm, funko, replicas, outcome, timeoutMs, progress);
}

/** The error of a deploy the swarm rolled back (or that timed out, and is rolled back now). */
async function deployFailure(
  swarm: SwarmService,
  funko: string,
  replicas: number,
  outcome: RolloutOutcome,
  timeoutMs: number,
  progress: Progress,
): Promise<FaasoError> {
  let what: string;
  let details: string[] = [];
  if (outcome.state === "timeout") {
    progress({ kind: "step", text: `Rolling ${serviceName(funko)} back: no healthy new instance in time` });
    const service = await swarm.docker.services.inspectOrNull(serviceName(funko));
    if (service) await rollOut(swarm, service, service.Spec, ROLLBACK_TIMEOUT_MS, silent, true);
    what = `the new instances did not become healthy in ${timeoutMs / 1000} s; FaaSO had the swarm roll back`;
  } else {
    const task = outcome.failed;
    const name = task ? `${imageRepo(funko)}.${task.Slot ?? ""}.${task.ID}` : "a new task";
    what = `${name}${task?.NodeID ? await nodeSuffix(swarm, task.NodeID) : ""} ${task ? taskProblem(task) : ""}`
      .trimEnd();
    what += outcome.state === "paused"
      ? `; the swarm paused the update (${outcome.message})`
      : "; the swarm rolled the service back";
    if (task) details = await lastLines(swarm, task);
    if (details.length) details = [`last lines of ${name}:`, ...details];
  }
  return new FaasoError(`Cannot deploy ${funko}: ${what}: ${await servingNote(swarm, funko, replicas)}`, {
    status: 409,
    code: "deploy_failed",
    details,
  });
}

/**
 * What serves after a rollback: the swarm replaces tasks by slot, so the old
 * version may run in tasks of its own making; what counts is how many serve
 * and which build.
 */
async function servingNote(swarm: SwarmService, funko: string, replicas: number): Promise<string> {
  const [service, serving] = await Promise.all([
    swarm.docker.services.inspectOrNull(serviceName(funko)),
    swarm.instances.list(funko).then((instances) => instances.filter(isServing)),
  ]);
  const reference = service?.Spec.TaskTemplate.ContainerSpec.Image ?? "";
  const tag = reference.slice(reference.lastIndexOf("/") + 1).split("@")[0];
  const of = serving.length < replicas ? ` (of ${replicas})` : "";
  return `${counted(serving.length, "instance")}${of} of ${tag || "the previous build"} serve`;
}

/** What went wrong with a task: it crashed, or never turned healthy. */
export function taskProblem(task: Task): string {
  if (task.Status.Err) return `failed (${task.Status.Err})`;
  const ended = ["complete", "shutdown"].includes(task.Status.State);
  if (ended) return "did not become healthy (its healthcheck kept failing, so the swarm stopped it)";
  return `is ${task.Status.State} (${task.Status.Message ?? "no message"})`;
}

async function nodeSuffix(swarm: SwarmService, nodeId: string): Promise<string> {
  const node = await swarm.docker.nodes.inspectOrNull(nodeId);
  return node ? ` on ${node.Description.Hostname}` : "";
}

async function lastLines(swarm: SwarmService, task: Task, count = 20): Promise<string[]> {
  try {
    const lines = await swarm.instances.logs({ id: task.ID } as Instance, { tail: count });
    return (await Array.fromAsync(lines)).map((line) => line.text);
  } catch {
    return [];
  }
}
