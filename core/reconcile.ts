/**
 * Bringing funkos back to their desired state. A funko's desired scale is the
 * number of its instance containers: FaaSO removes an instance when it scales
 * down, and only retires one (restart policy off) on its way out, so any
 * other instance found not running (the engine restarted or crashed, someone
 * ran docker stop, it crashed and Docker gave up) is brought back: started,
 * or, when the engine will not start it, replaced (`InstanceBackend.repair`).
 * An instance that runs but hangs (its healthcheck says unhealthy) is
 * replaced too, the new one first.
 *
 * What should run is an input ({@linkcode DesiredState}): today every
 * instance that is not retiring; a funko put to sleep keeps its stopped
 * instances stopped.
 *
 * @module
 */
import type { Instance } from "./instances.ts";
import { drainMs, durationToNanos, type FunkoSettings, settingsFromLabels } from "./manifest.ts";
import { type Progress, silent } from "./progress.ts";
import { type LifecycleDeps, notRetiring, retireAndRemove } from "./scale.ts";
import { waitHealthy } from "./wait.ts";

/** What should run. Without an answer, every instance that is not retiring. */
export interface DesiredState {
  /** Whether the funko's stopped instances are to stay stopped (it sleeps). */
  keepsStopped?: (funko: string) => boolean;
}

/** Options for {@linkcode reconcile}. */
export interface ReconcileOptions extends DesiredState {
  /** Cancels it. */
  signal?: AbortSignal;
}

/** What a reconciliation did. */
export interface ReconcileResult {
  /** Instances started again. */
  started: string[];
  /** Instances that could not be started, each with its replacement. */
  replaced: { instance: string; by: string; reason: string }[];
  /** Instances that could not be brought back, with the reason. */
  failed: { instance: string; reason: string }[];
}

/** Whether an instance is stopped (as opposed to running, paused, restarting or going). */
export function needsStart(instance: Instance): boolean {
  return instance.state === "exited" || instance.state === "created";
}

/**
 * Whether a stopped instance, read one by one, should be brought back: it is
 * not retiring (a deploy or scale-down on its way) and its funko does not
 * sleep.
 */
export function shouldRun(instance: Instance, desired: DesiredState = {}): boolean {
  return !instance.retiring && !desired.keepsStopped?.(instance.funko);
}

/** Brings every stopped instance (of every funko) that should run back. */
export async function reconcile(
  deps: LifecycleDeps,
  progress: Progress = silent,
  options: ReconcileOptions = {},
): Promise<ReconcileResult> {
  const result: ReconcileResult = { started: [], replaced: [], failed: [] };
  const listed = (await deps.instances.list(undefined, options.signal)).filter(needsStart);
  const stopped = await notRetiring(deps, listed, options.signal);
  await Promise.all(stopped.map(async (instance) => {
    if (!needsStart(instance) || !shouldRun(instance, options)) return;
    try {
      const repair = await bringBack(deps, instance, progress, options.signal);
      if (repair.replaced) result.replaced.push({ instance: instance.name, by: repair.by, reason: repair.replaced });
      else result.started.push(instance.name);
    } catch (error) {
      const reason = (error as Error).message;
      progress({ kind: "warning", text: `Cannot bring ${instance.name} back: ${reason}` });
      result.failed.push({ instance: instance.name, reason });
    }
  }));
  return result;
}

/**
 * Starts a stopped instance, or replaces it when it cannot start, and says
 * which.
 */
export async function bringBack(
  deps: LifecycleDeps,
  instance: Instance,
  progress: Progress = silent,
  signal?: AbortSignal,
): Promise<{ instance: Instance; by: string; replaced?: string }> {
  const repair = await deps.instances.repair(instance, signal);
  if (repair.replaced) {
    progress({
      kind: "step",
      text: `Replaced ${instance.name} by ${repair.instance.name}: it could not start (${repair.replaced})`,
    });
  } else progress({ kind: "step", text: `Started ${instance.name} again` });
  return {
    instance: repair.instance,
    by: repair.instance.name,
    ...(repair.replaced ? { replaced: repair.replaced } : {}),
  };
}

/** Options for {@linkcode replaceUnhealthy}. */
export interface ReplaceUnhealthyOptions {
  /** How long the replacement gets to become healthy. Default: the funko's healthcheck's time to a verdict, at least 60 s. */
  timeoutMs?: number;
  /** Cancels it. */
  signal?: AbortSignal;
}

/**
 * Replaces an instance that runs but hangs: creates a new one like it, waits
 * until the new one is healthy, then retires and removes the old one as a
 * deploy does (it got no new requests since Docker called it unhealthy).
 * When the new one does not become healthy, it is removed and the old one
 * stays (its health may come back); the error says why.
 */
export async function replaceUnhealthy(
  deps: LifecycleDeps,
  instance: Instance,
  progress: Progress = silent,
  options: ReplaceUnhealthyOptions = {},
): Promise<Instance> {
  progress({ kind: "step", text: `Replacing ${instance.name}: its healthcheck says it is unhealthy` });
  const fresh = await deps.instances.replace(instance, options.signal);
  const image = await deps.docker.images.inspectOrNull(instance.imageId);
  const settings = settingsFromLabels(image?.Config.Labels);
  const problem = await waitHealthy(deps, [fresh], options.timeoutMs ?? verdictMs(settings.healthcheck));
  if (problem) {
    await deps.instances.remove(fresh, 0);
    throw new Error(`its replacement ${fresh.name} ${problem.reason}, so it was removed`);
  }
  await retireAndRemove(deps, [instance], drainMs(settings));
  progress({ kind: "step", text: `Replaced ${instance.name} by ${fresh.name}` });
  return fresh;
}

/** How long a healthcheck may take to call a new instance healthy: its start period and retries, at least 60 s. */
function verdictMs(health: FunkoSettings["healthcheck"]): number {
  const ms = (duration: string) => durationToNanos(duration) / 1e6;
  return Math.max(60_000, ms(health.start_period) + (health.retries + 1) * (ms(health.interval) + ms(health.timeout)));
}
