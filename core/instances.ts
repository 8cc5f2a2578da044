/**
 * Instances: the running copies of a funko: plain containers (core/container_instances.ts), swarm
 * service tasks in core/swarm/. {@linkcode InstanceBackend} is the seam, so
 * that scaling, status, logs and the proxy's routing table never touch
 * containers directly.
 *
 * @module
 */
import type { LogLine } from "../docker/mod.ts";
import { DEFAULT_PORT, durationToNanos, type FunkoSettings, healthPath } from "./manifest.ts";
import { LABELS } from "./names.ts";
import type { InstanceEvent } from "./instance_events.ts";
import type { FunkoService, InstanceCapabilities } from "./instance_capabilities.ts";

export { type InstanceEvent, toInstanceEvent } from "./instance_events.ts";
export {
  capabilitiesOf,
  CONTAINER_CAPABILITIES,
  type FunkoService,
  type InstanceCapabilities,
} from "./instance_capabilities.ts";

/** What an instance is doing, in Docker's words. */
export type InstanceState = "created" | "running" | "paused" | "restarting" | "removing" | "exited" | "dead";

/** An instance's health as its healthcheck reports it; `none` without a healthcheck. */
export type InstanceHealth = "none" | "starting" | "healthy" | "unhealthy";

/** One running (or stopped) copy of a funko. */
export interface Instance {
  /** Engine ID (a container ID today). */
  id: string;
  /** Name as `docker ps` shows it: `faaso-NAME-xxxxxx`. */
  name: string;
  /** The funko it belongs to. */
  funko: string;
  /** What it is doing. */
  state: InstanceState;
  /** What its healthcheck says. */
  health: InstanceHealth;
  /** Its address on faaso-net, when it has one. */
  address?: string;
  /** The port its app listens on (label `faaso.port`): where requests and probes go. */
  port: number;
  /**
   * The path whose GET says it is ready (label `faaso.health`); null when
   * accepting connections on its port is enough. See core/probe.ts.
   */
  healthPath: string | null;
  /** ID of the image it runs. */
  imageId: string;
  /** When it was created. */
  created: Date;
  /** How often the engine restarted it (known when read one by one). */
  restarts?: number;
  /**
   * Being retired (known when read one by one): its restart policy was
   * turned off because it is about to be stopped. Proxies stop sending it
   * requests as soon as they see this.
   */
  retiring?: boolean;
  /** The machine it runs on, where there are several (a swarm node's hostname). */
  node?: string;
  /** The host folder mounted at /secrets (known when read one by one): the secrets store it was started with. */
  secretsFolder?: string;
  /**
   * A warm spare (named `faaso-NAME-spare-xxxxxx`): started and paused for the
   * autoscaler to take; it serves nothing and counts towards no scale until
   * taken (renamed to an instance name).
   */
  spare?: boolean;
  /** The exit code of its last run, when it has stopped or crashed before (known when read one by one). */
  exitCode?: number;
  /** Whether the kernel killed its last run for going over its memory limit (known when read one by one). */
  oomKilled?: boolean;
}

/** What {@linkcode InstanceBackend.repair} did. */
export interface Repair {
  /** The instance that runs now: the same one, or its replacement. */
  instance: Instance;
  /** Set when it was replaced: why the old one could not be started (the engine's words). */
  replaced?: string;
}

/** Options for {@linkcode InstanceBackend.logs}. */
export interface InstanceLogsOptions {
  /** Keep streaming new output. */
  follow?: boolean;
  /** Only the last N lines. */
  tail?: number;
  /** Only lines written since this Unix time (seconds). */
  since?: number;
  /** Ends the stream. */
  signal?: AbortSignal;
}

/** Where instances come from: containers, or swarm tasks (core/swarm/). */
export interface InstanceBackend {
  /**
   * What it can do; plain containers' ({@linkcode CONTAINER_CAPABILITIES})
   * when absent. Ask through {@linkcode capabilitiesOf}.
   */
  readonly capabilities?: InstanceCapabilities;
  /** Set where the engine keeps the instances (a swarm): scale, deploy and rm go through it. */
  readonly service?: FunkoService;
  /** The instances of one funko, or of all funkos; newest first. */
  list(funko?: string, signal?: AbortSignal): Promise<Instance[]>;
  /** One instance by ID, or null when it is gone. */
  get(id: string, signal?: AbortSignal): Promise<Instance | null>;
  /**
   * Changes to any funko's instances, as they happen. The promise settles once
   * the subscription is in place, so a listing made afterwards misses nothing.
   */
  events(signal?: AbortSignal): Promise<ReadableStream<InstanceEvent>>;
  /** Creates and starts a new instance of `funko` running its latest image. */
  create(funko: string, signal?: AbortSignal): Promise<Instance>;
  /** Starts a stopped instance. */
  start(instance: Instance, signal?: AbortSignal): Promise<void>;
  /**
   * Brings back an instance that should run and does not: starts it, and
   * when the engine will not start it (state it kept from before a crash),
   * replaces it: removes it and creates a new one from the same image with
   * the same settings. Instances are cattle; the funko keeps its scale.
   */
  repair(instance: Instance, signal?: AbortSignal): Promise<Repair>;
  /**
   * Creates and starts a new instance in place of `instance`: the image it
   * runs, with the same settings and secrets. The old one is left to the
   * caller (to retire and remove once the new one is ready). Two callers
   * replacing the same instance at once get the same new one.
   */
  replace(instance: Instance, signal?: AbortSignal): Promise<Instance>;
  /** Stops an instance, giving it `timeoutSeconds` to finish, and removes it. */
  remove(instance: Instance, timeoutSeconds?: number, signal?: AbortSignal): Promise<void>;
  /**
   * Marks an instance as about to go, visibly to every proxy following the
   * engine's events (it turns the restart policy off), so that they send it
   * nothing new while it finishes what it has.
   */
  retire(instance: Instance, signal?: AbortSignal): Promise<void>;
  /** The instance's output, line by line. */
  logs(instance: Instance, options?: InstanceLogsOptions): Promise<ReadableStream<LogLine>>;
  /**
   * Freezes a running instance: no CPU, memory kept; connections made to it
   * wait in the kernel. Only where `capabilities.pause` (see
   * {@linkcode capabilitiesOf}); a backend that cannot pause (swarm tasks)
   * throws, and sleeping funkos go straight to stopped there.
   */
  pause(instance: Instance, signal?: AbortSignal): Promise<void>;
  /** Thaws a paused instance. */
  unpause(instance: Instance, signal?: AbortSignal): Promise<void>;
  /**
   * Stops an instance and keeps it, so that `start` brings it back (a
   * sleeping funko's), marked so that nothing else starts it meanwhile. A
   * paused one is thawed first, so that it gets SIGTERM and `timeoutSeconds`
   * to end before SIGKILL.
   */
  stop(instance: Instance, timeoutSeconds?: number, signal?: AbortSignal): Promise<void>;
  /**
   * Creates and starts a warm spare of `funko` (`faaso-NAME-spare-xxxxxx`),
   * which serves nothing until taken. Absent where the backend keeps no
   * spares (a swarm service's tasks are all alike).
   */
  createSpare?(funko: string, signal?: AbortSignal): Promise<Instance>;
  /** Takes a spare into service: renames it to an instance name and thaws it when paused. */
  takeSpare?(spare: Instance, signal?: AbortSignal): Promise<Instance>;
}

/**
 * The labels an instance carries, as a container or a swarm task: its funko
 * and role, and the port and health path {@linkcode probeLabels} reads back
 * (so a listing tells the proxy where and how to reach each instance).
 */
export function instanceLabels(
  funko: string,
  settings: Pick<FunkoSettings, "port" | "health">,
): Record<string, string> {
  return {
    [LABELS.funko]: funko,
    [LABELS.role]: "instance",
    [LABELS.port]: String(settings.port),
    [LABELS.health]: settings.health,
  };
}

/** The funko's healthcheck in the Engine API's terms (nanoseconds); without a command the image's own check stays. */
export function engineHealthcheck(
  health: FunkoSettings["healthcheck"],
): { Test?: string[]; Interval: number; Timeout: number; StartPeriod: number; Retries: number } {
  return {
    ...(health.command ? { Test: ["CMD-SHELL", health.command] } : {}),
    Interval: durationToNanos(health.interval),
    Timeout: durationToNanos(health.timeout),
    StartPeriod: durationToNanos(health.start_period),
    Retries: health.retries,
  };
}

/**
 * An instance's port and health path from its labels. Instances created
 * before FaaSO labelled them listen on 3000 and are checked by their port.
 */
export function probeLabels(labels: Record<string, string> | null | undefined): Pick<Instance, "port" | "healthPath"> {
  const port = Number(labels?.[LABELS.port]);
  return {
    port: Number.isInteger(port) && port > 0 && port < 65536 ? port : DEFAULT_PORT,
    healthPath: healthPath(labels?.[LABELS.health] ?? "none"),
  };
}

/** Reads the health out of a listing's status text: "Up 2 minutes (healthy)". */
export function healthFromStatus(status: string): InstanceHealth {
  if (status.includes("(healthy)")) return "healthy";
  if (status.includes("(unhealthy)")) return "unhealthy";
  if (status.includes("(health: starting)")) return "starting";
  return "none";
}
