/**
 * Instances as the tasks of swarm services: one service `faaso-NAME` per
 * funko, its tasks spread over the swarm's nodes and reached at their
 * addresses on the overlay network faaso-net. The swarm keeps the count and
 * restarts tasks itself; FaaSO scales, deploys and removes whole services
 * ({@linkcode SwarmService}).
 *
 * @module
 */
import { type Docker, type DockerEvent, type LogLine, LogLineStream, type Task } from "../../docker/mod.ts";
import { FaasoError } from "../errors.ts";
import type {
  Instance,
  InstanceBackend,
  InstanceCapabilities,
  InstanceEvent,
  InstanceLogsOptions,
  Repair,
} from "../instances.ts";
import { LABELS } from "../names.ts";
import { silent } from "../progress.ts";
import type { SwarmMode } from "./mode.ts";
import { SwarmService } from "./service.ts";
import { isAbandoned, isCurrentTask, isSettling, taskChanges, type TaskContext, taskInstance } from "./tasks.ts";

/** How often tasks are listed while nothing moves, and while something does (a task starting or being replaced). */
const STEADY_MS = 1000;
const SETTLING_MS = 250;
/** How long after a service or node event tasks are listed at the faster beat. */
const AFTER_EVENT_MS = 5000;
/** How long a listing of nodes and images serves. */
const CONTEXT_MS = 1000;

/** Swarm tasks cannot be paused; the engine keeps their count. */
export const SWARM_CAPABILITIES: InstanceCapabilities = { pause: false, perInstance: false };

/** The tasks of `faaso-NAME` services, as instances. */
export class SwarmInstances implements InstanceBackend {
  readonly capabilities = SWARM_CAPABILITIES;
  readonly service: SwarmService;
  #docker: Docker;
  #context: { at: number; value: Promise<TaskContext> } | undefined;

  constructor(docker: Docker, mode: SwarmMode = {}) {
    this.#docker = docker;
    this.service = new SwarmService(docker, this, mode);
  }

  /** The current tasks of a funko's service (of every funko's without a name), newest first. */
  async list(funko?: string, signal?: AbortSignal): Promise<Instance[]> {
    const [tasks, context] = await Promise.all([this.tasks(funko, signal), this.#taskContext(signal)]);
    return tasks.filter(isCurrentTask).map((task) => taskInstance(task, context))
      .filter((instance) => !isAbandoned(instance))
      .sort((a, b) => b.created.getTime() - a.created.getTime());
  }

  /** Every task of a funko's service (of every funko's), past ones included, as the engine lists them. */
  tasks(funko?: string, signal?: AbortSignal): Promise<Task[]> {
    return this.#docker.tasks.list({ label: [funko ? `${LABELS.funko}=${funko}` : LABELS.funko] }, signal);
  }

  /** One task; null when it is gone or is not a funko's. */
  async get(id: string, signal?: AbortSignal): Promise<Instance | null> {
    const task = await this.#docker.tasks.inspectOrNull(id, signal);
    if (!task?.Spec.ContainerSpec.Labels?.[LABELS.funko]) return null;
    return taskInstance(task, await this.#taskContext(signal));
  }

  /**
   * Task changes as instance events. The Engine API reports services and
   * nodes changing, not tasks: tasks are listed again on each such event and
   * every second (every 250 ms while one starts or is being replaced), and
   * the differences become events. The promise settles once the engine's
   * event stream is open and the first listing is taken.
   */
  async events(signal?: AbortSignal): Promise<ReadableStream<InstanceEvent>> {
    const stop = new AbortController();
    const stopped = signal ? AbortSignal.any([signal, stop.signal]) : stop.signal;
    const engine = (await this.#docker.events.stream({ filters: { type: ["service", "node"] }, signal: stopped }))
      .getReader();
    let known: Map<string, Instance>;
    try {
      known = byId(await this.list(undefined, stopped));
    } catch (error) {
      await engine.cancel().catch(() => {});
      throw error;
    }
    let poke = () => {};
    let fastUntil = 0;
    const close = () => {
      stop.abort();
      engine.cancel().catch(() => {});
      poke();
    };
    return new ReadableStream<InstanceEvent>({
      start: (controller) => {
        stopped.addEventListener("abort", close, { once: true });
        const watching = (async () => {
          while (true) {
            const { done } = await engine.read() as ReadableStreamReadResult<DockerEvent>;
            if (done) throw new Error("the engine's event stream ended");
            fastUntil = Date.now() + AFTER_EVENT_MS;
            this.#context = undefined;
            poke();
          }
        })();
        const listing = (async () => {
          while (!stopped.aborted) {
            const fast = isSettling(known.values()) || Date.now() < fastUntil;
            await new Promise<void>((resolve) => {
              const timer = setTimeout(resolve, fast ? SETTLING_MS : STEADY_MS);
              poke = () => {
                clearTimeout(timer);
                resolve();
              };
            });
            if (stopped.aborted) return;
            const now = byId(await this.list(undefined, stopped));
            for (const event of taskChanges(known, now)) controller.enqueue(event);
            known = now;
          }
        })();
        Promise.race([watching, listing]).then(() => controller.close(), (error) => {
          if (stopped.aborted) controller.close();
          else controller.error(error);
        }).catch(() => {}).finally(close);
      },
      cancel: close,
    });
  }

  /** One more task (replicas + 1); resolves once it runs. A wake from zero is `service.scale(funko, 1)`. */
  async create(funko: string): Promise<Instance> {
    const before = new Set((await this.list(funko)).map((instance) => instance.id));
    await this.service.scale(funko, ((await this.service.desired(funko)) ?? 0) + 1, silent);
    const fresh = (await this.list(funko)).find((instance) => !before.has(instance.id));
    if (!fresh) throw new Error(`Cannot find the new task of ${funko}: the swarm started none`);
    return fresh;
  }

  /** Nothing to do: the swarm restarts tasks itself (restart condition any). */
  async start(_instance: Instance): Promise<void> {}

  /** Refused: the swarm picks which tasks go when a service shrinks. */
  remove(instance: Instance): Promise<void> {
    return Promise.reject(perTaskError(instance, "remove"));
  }

  /** Refused: the swarm retires tasks itself during updates and when a service shrinks. */
  retire(instance: Instance): Promise<void> {
    return Promise.reject(perTaskError(instance, "retire"));
  }

  /**
   * Not applicable: the swarm restarts a task that stops and reschedules it
   * on another node when its node is lost (restart condition any); FaaSO's
   * keeper does not run in swarm mode. Does nothing and returns the task as
   * the engine reports it now (the instance given when it is gone).
   */
  async repair(instance: Instance, signal?: AbortSignal): Promise<Repair> {
    return { instance: (await this.get(instance.id, signal)) ?? instance };
  }

  /**
   * Refused: the swarm replaces failed tasks itself, and a funko's tasks are
   * replaced as a whole by a rolling update (`service.deploy`).
   */
  replace(instance: Instance): Promise<Instance> {
    return Promise.reject(perTaskError(instance, "replace"));
  }

  /**
   * Refused: a task cannot be stopped and kept (the swarm would start
   * another in its place). A swarm funko sleeps with its service at 0
   * replicas (`service.scale(funko, 0)`, core/sleep.ts) and wakes at 1.
   */
  stop(instance: Instance): Promise<void> {
    return Promise.reject(perTaskError(instance, "stop"));
  }

  /** Refused: swarm tasks cannot be paused (`capabilities.pause` is false); see {@linkcode stop}. */
  pause(instance: Instance): Promise<void> {
    return Promise.reject(cannotPause(instance, "pause"));
  }

  /** Refused: swarm tasks are never paused (`capabilities.pause` is false). */
  unpause(instance: Instance): Promise<void> {
    return Promise.reject(cannotPause(instance, "unpause"));
  }

  /** A task's output, line by line, fetched from its node through the manager. */
  async logs(instance: Instance, options: InstanceLogsOptions = {}): Promise<ReadableStream<LogLine>> {
    const chunks = await this.#docker.tasks.logs(instance.id, {
      follow: options.follow,
      tail: options.tail,
      since: options.since,
      signal: options.signal,
    });
    return chunks.pipeThrough(new LogLineStream());
  }

  /** Nodes and local images, listed at most once a second: what mapping a task needs besides the task. */
  #taskContext(signal?: AbortSignal): Promise<TaskContext> {
    if (this.#context && Date.now() - this.#context.at < CONTEXT_MS) return this.#context.value;
    const value = (async (): Promise<TaskContext> => {
      const [nodes, images] = await Promise.all([
        this.#docker.nodes.list({}, signal),
        this.#docker.images.list({ label: [LABELS.funko] }, { signal }),
      ]);
      const ids = new Map<string, string>();
      for (const image of images) {
        for (const reference of [...image.RepoTags ?? [], ...image.RepoDigests ?? []]) ids.set(reference, image.Id);
      }
      return {
        nodes: new Map(nodes.map((node) => [node.ID, {
          hostname: node.Description.Hostname,
          ready: node.Status.State === "ready",
        }])),
        imageId: (reference) => ids.get(reference) ?? ids.get(withoutTag(reference)) ?? "",
      };
    })();
    this.#context = { at: Date.now(), value };
    value.catch(() => this.#context = undefined);
    return value;
  }
}

/** `repo:tag@sha256:...` as `repo@sha256:...`, the form RepoDigests list; other references unchanged. */
export function withoutTag(reference: string): string {
  const at = reference.indexOf("@");
  if (at < 0) return reference;
  const name = reference.slice(0, at);
  const colon = name.lastIndexOf(":");
  const repo = colon > name.lastIndexOf("/") ? name.slice(0, colon) : name;
  return repo + reference.slice(at);
}

function byId(instances: Instance[]): Map<string, Instance> {
  return new Map(instances.map((instance) => [instance.id, instance]));
}

function perTaskError(instance: Instance, what: string): FaasoError {
  return new FaasoError(
    `Cannot ${what} ${instance.name} by itself: it is a task of the swarm service ${instance.funko ? "faaso-" : ""}` +
      `${instance.funko}, whose tasks the swarm keeps; scale the funko instead (faaso scale ${instance.funko} N)`,
  );
}

function cannotPause(instance: Instance, what: string): FaasoError {
  return new FaasoError(
    `Cannot ${what} ${instance.name}: swarm tasks cannot be paused. A swarm funko sleeps with its service at 0 ` +
      `replicas (faaso sleep ${instance.funko}) and wakes when a task starts (faaso wake ${instance.funko})`,
  );
}
