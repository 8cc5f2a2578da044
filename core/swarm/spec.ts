/**
 * A funko as a swarm service: `faaso-NAME`, replicas = scale, the same
 * labels, env, limits, healthcheck and /secrets as a container instance
 * gets, on the overlay network faaso-net, and rolling updates that start the
 * new task before stopping the old one and roll back on failure.
 *
 * @module
 */
import type { SecretReference, ServiceSpec, UpdateConfig } from "../../docker/mod.ts";
import { durationToNanos, type FunkoSettings, memoryToBytes } from "../manifest.ts";
import { engineHealthcheck, instanceLabels } from "../instances.ts";
import { imageRepo, NETWORK } from "../names.ts";
import { INSTANCE_UID, SECRETS_MOUNT } from "../secrets.ts";

/** A funko's service name: `faaso-NAME`, as its image repository. */
export function serviceName(funko: string): string {
  return imageRepo(funko);
}

/** The shortest monitor period, Docker's own default. */
const MIN_MONITOR_NS = 5e9;

/**
 * How long after a task's update a failure still rolls the update back: long
 * enough for a task that was healthy to be found unhealthy (`retries` failed
 * checks, each `interval` apart and up to `timeout` long).
 */
export function monitorNanos(settings: FunkoSettings): number {
  const health = settings.healthcheck;
  const unhealthyAfter = durationToNanos(health.interval) * health.retries + durationToNanos(health.timeout);
  return Math.max(MIN_MONITOR_NS, unhealthyAfter);
}

/**
 * Rolling updates: one task at a time, the new one started (and healthy: a
 * swarm task with a healthcheck only counts as running once healthy) before
 * the old one stops, so capacity never drops below the scale; any failure
 * within the monitor period rolls the whole update back.
 */
export function updateConfig(settings: FunkoSettings): UpdateConfig {
  return {
    Parallelism: 1,
    Delay: 0,
    FailureAction: "rollback",
    Monitor: monitorNanos(settings),
    MaxFailureRatio: 0,
    Order: "start-first",
  };
}

/** Rollbacks: every task at once (the old version was healthy), still starting each before stopping the other. */
export function rollbackConfig(settings: FunkoSettings): UpdateConfig {
  return {
    Parallelism: 0,
    Delay: 0,
    FailureAction: "pause",
    Monitor: monitorNanos(settings),
    MaxFailureRatio: 0,
    Order: "start-first",
  };
}

/** A secret of the funko mounted as `/secrets/NAME`, readable by the runtimes' user only (as in single-host mode). */
export function secretReference(name: string, secretId: string, secretName: string): SecretReference {
  return {
    File: { Name: `${SECRETS_MOUNT}/${name}`, UID: String(INSTANCE_UID), GID: String(INSTANCE_UID), Mode: 0o400 },
    SecretID: secretId,
    SecretName: secretName,
  };
}

/** What {@linkcode funkoServiceSpec} makes a service from. */
export interface FunkoServiceInput {
  /** The funko. */
  funko: string;
  /** The image reference tasks run (with its digest, from a registry). */
  image: string;
  /** How its instances run: the settings its image carries. */
  settings: FunkoSettings;
  /** How many tasks. */
  replicas: number;
  /** Its secrets, each at /secrets/NAME. */
  secrets: SecretReference[];
  /** Raised to replace every task although nothing else changed (deploy --force, a new secret version). */
  forceUpdate?: number;
  /** The service as it is, when updating: placement a user added by hand is kept. */
  current?: ServiceSpec;
}

/**
 * The service spec of a funko. The environment and labels match a container
 * instance's; `FAASO_INSTANCE` is the task's name (`faaso-NAME.SLOT.ID`), as
 * `docker ps` shows its container on its node. The endpoint mode is `dnsrr`:
 * `NAME` resolves to the tasks' addresses (the proxy routes to those itself,
 * on the funko's port).
 */
export function funkoServiceSpec(input: FunkoServiceInput): ServiceSpec {
  const { funko, settings } = input;
  // As on a container instance: the port and health path ride on the tasks, so a listing tells the proxy where
  // and how to reach each one.
  const labels = instanceLabels(funko, settings);
  const limits = {
    ...(settings.memory ? { MemoryBytes: memoryToBytes(settings.memory) } : {}),
    ...(settings.cpus ? { NanoCPUs: Math.round(settings.cpus * 1e9) } : {}),
  };
  const placement = input.current?.TaskTemplate.Placement;
  return {
    Name: serviceName(funko),
    Labels: labels,
    TaskTemplate: {
      ContainerSpec: {
        Image: input.image,
        Labels: labels,
        Hostname: funko,
        Env: [
          ...Object.entries(settings.env).map(([key, value]) => `${key}=${value}`),
          `FAASO_FUNKO=${funko}`,
          "FAASO_INSTANCE={{.Task.Name}}",
        ],
        Healthcheck: engineHealthcheck(settings.healthcheck),
        StopGracePeriod: durationToNanos(settings.drain),
        Secrets: input.secrets,
      },
      Resources: { Limits: limits },
      // Like unless-stopped: a task that ends is replaced, on whichever node suits.
      RestartPolicy: { Condition: "any", Delay: 1e9, MaxAttempts: 0 },
      ...(placement ? { Placement: placement } : {}),
      Networks: [{ Target: NETWORK, Aliases: [funko] }],
      ForceUpdate: input.forceUpdate ?? input.current?.TaskTemplate.ForceUpdate ?? 0,
    },
    Mode: { Replicated: { Replicas: input.replicas } },
    UpdateConfig: updateConfig(settings),
    RollbackConfig: rollbackConfig(settings),
    EndpointSpec: { Mode: "dnsrr" },
  };
}

/** The number of replicas a service asks for (0 for a global service, which FaaSO does not make). */
export function replicasOf(spec: ServiceSpec): number {
  return spec.Mode?.Replicated?.Replicas ?? 0;
}
