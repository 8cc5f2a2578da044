/**
 * Swarm tasks as instances, and the changes between two listings of them as
 * instance events. The Engine API has service and node events but no task
 * events: the backend lists tasks on every service or node event and at a
 * steady beat, and turns the differences into the same events containers
 * give.
 *
 * @module
 */
import type { Task, TaskState } from "../../docker/mod.ts";
import {
  type Instance,
  type InstanceEvent,
  type InstanceHealth,
  type InstanceState,
  probeLabels,
} from "../instances.ts";
import { imageRepo, LABELS, NETWORK } from "../names.ts";

/** What a task's mapping needs to know beyond the task. */
export interface TaskContext {
  /** Nodes by ID: hostname, and whether the managers hear from it. */
  nodes: ReadonlyMap<string, { hostname: string; ready: boolean }>;
  /** The local image ID of a reference (empty when unknown): status compares it with latest. */
  imageId(reference: string): string;
}

/** States before the container runs. */
const PENDING: ReadonlySet<TaskState> = new Set([
  "new",
  "allocated",
  "pending",
  "assigned",
  "accepted",
  "preparing",
  "ready",
]);

/** States of a task that has ended. */
const ENDED: ReadonlySet<TaskState> = new Set(["complete", "shutdown", "failed", "rejected", "remove", "orphaned"]);

/**
 * Whether a task belongs in a listing: wanted running, or still running
 * while it is replaced. Ended tasks the swarm keeps as history are left out.
 */
export function isCurrentTask(task: Task): boolean {
  if (task.DesiredState === "running" || task.DesiredState === "ready") return true;
  return !ENDED.has(task.Status.State) && !PENDING.has(task.Status.State);
}

/**
 * A task as an instance. A swarm task with a healthcheck only reaches
 * `running` once healthy (it is `starting` before), so `running` means
 * healthy; a task on a node the managers no longer hear from is `dead` to the
 * proxy whatever its last report said.
 */
export function taskInstance(task: Task, context: TaskContext): Instance {
  const node = task.NodeID ? context.nodes.get(task.NodeID) : undefined;
  const reachable = !task.NodeID || node?.ready !== false;
  const { state, health } = instanceState(task.Status.State, reachable);
  const address = task.NetworksAttachments?.find((attachment) => attachment.Network.Spec.Name === NETWORK)
    ?.Addresses[0]?.split("/")[0];
  const funko = task.Spec.ContainerSpec.Labels?.[LABELS.funko] ?? "";
  return {
    id: task.ID,
    // The task's name, as its container is named on its node: faaso-NAME.SLOT.ID.
    name: `${imageRepo(funko)}.${task.Slot ?? task.NodeID ?? ""}.${task.ID}`,
    funko,
    state,
    health,
    ...(address ? { address } : {}),
    ...probeLabels(task.Spec.ContainerSpec.Labels),
    imageId: context.imageId(task.Spec.ContainerSpec.Image),
    created: new Date(task.CreatedAt),
    retiring: task.DesiredState !== "running" && task.DesiredState !== "ready",
    ...(node ? { node: node.hostname } : {}),
  };
}

/** A task's state in Docker's container words, and its health. */
export function instanceState(
  state: TaskState,
  reachable = true,
): { state: InstanceState; health: InstanceHealth } {
  if (!reachable && !ENDED.has(state)) return { state: "dead", health: "none" };
  if (state === "running") return { state: "running", health: "healthy" };
  if (state === "starting") return { state: "running", health: "starting" };
  if (PENDING.has(state)) return { state: "created", health: "none" };
  if (state === "complete" || state === "shutdown") return { state: "exited", health: "none" };
  return { state: "dead", health: "none" };
}

/**
 * The instance events that turn the listing `before` into `after` (both by
 * task ID): `start` when a task's container runs (health `starting` or not),
 * `health` when the swarm calls it healthy, `update` when it starts being
 * replaced or its address changes, `stop` when it stops running or its node
 * is lost, `destroy` when it leaves the listing.
 */
export function taskChanges(
  before: ReadonlyMap<string, Instance>,
  after: ReadonlyMap<string, Instance>,
  time = Math.floor(Date.now() / 1000),
): InstanceEvent[] {
  const events: InstanceEvent[] = [];
  for (const [id, now] of after) {
    const was = before.get(id);
    const running = now.state === "running";
    const wasRunning = was?.state === "running";
    const base = { id, funko: now.funko };
    if (running && !wasRunning) {
      events.push({ action: "start", ...base, time });
    } else if (!running && wasRunning) {
      events.push({ action: "stop", ...base });
    } else if (running && was) {
      if (was.health !== now.health) events.push({ action: "health", ...base, health: now.health });
      if (was.retiring !== now.retiring || was.address !== now.address) events.push({ action: "update", ...base });
    }
  }
  for (const [id, was] of before) {
    if (after.has(id)) continue;
    if (was.state === "running") events.push({ action: "stop", id, funko: was.funko });
    events.push({ action: "destroy", id, funko: was.funko });
  }
  return events;
}

/** Whether a listing is settling (a task starting, pending or being replaced): worth a closer look. */
export function isSettling(instances: Iterable<Instance>): boolean {
  for (const instance of instances) {
    if (instance.state === "created" || instance.health === "starting" || instance.retiring) return true;
  }
  return false;
}

/**
 * Whether a listed task is as good as gone: the swarm replaced it (desired
 * state shutdown) and its node is lost, so it will never report stopping;
 * it stays in the engine's listing until the node comes back or is removed.
 */
export function isAbandoned(instance: Instance): boolean {
  return instance.state === "dead" && instance.retiring === true;
}

/** Whether a task serves: running (healthy, where it has a healthcheck) and not being replaced. */
export function isServing(instance: Instance): boolean {
  return instance.state === "running" && instance.health !== "starting" && !instance.retiring;
}

/** How often waits look at the tasks. */
export const POLL_MS = 500;

/** Waits `ms` milliseconds. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
