/**
 * What an instance backend can do beyond the basics, and the whole-funko
 * operations of backends where the engine keeps a funko's instances itself
 * (a swarm service): callers adapt to them (scale to zero, scale, deploy, rm).
 *
 * @module
 */
import type { DeployOptions, DeployResult } from "./deploy.ts";
import type { InstanceBackend } from "./instances.ts";
import type { Progress } from "./progress.ts";
import type { ScaleResult, StartOptions } from "./scale.ts";

/** What a backend can do beyond the basics, for callers that adapt to it (scale to zero). */
export interface InstanceCapabilities {
  /**
   * Instances can be paused and unpaused (`docker pause`): a wake in
   * milliseconds, memory kept. Swarm tasks cannot: a swarm sleeps by scaling
   * its service to 0 and wakes by starting a task (`service.scale(funko, 1)`),
   * in seconds.
   */
  pause: boolean;
  /**
   * FaaSO makes and removes instances one by one (`create`, `remove`,
   * `retire`, `stop`, `repair`, `replace`). False where the engine keeps a
   * count of them (a swarm service's replicas): use `service` instead.
   */
  perInstance: boolean;
}

/** The capabilities of plain containers. */
export const CONTAINER_CAPABILITIES: InstanceCapabilities = { pause: true, perInstance: true };

/**
 * The backend's capabilities: its own, or plain containers' when it says
 * none. The one way to ask, e.g. whether it can pause:
 * `capabilitiesOf(backend).pause`.
 */
export function capabilitiesOf(backend: Pick<InstanceBackend, "capabilities">): InstanceCapabilities {
  return backend.capabilities ?? CONTAINER_CAPABILITIES;
}

/**
 * Whole-funko operations, on backends where the engine itself keeps a funko's
 * instances (one swarm service per funko) rather than FaaSO one by one. The
 * lifecycle core hands scale, deploy and rm to it, with the same results;
 * scale to zero sleeps and wakes through `scale`.
 */
export interface FunkoService {
  /** Sets how many instances run (replicas); 0 keeps the funko with nothing running (scale to zero). */
  scale(funko: string, target: number, progress: Progress, options?: StartOptions): Promise<ScaleResult>;
  /** How many instances are asked for (replicas), or null when the funko has no service. */
  desired(funko: string, signal?: AbortSignal): Promise<number | null>;
  /** Rolls the funko onto its newest image (a rolling update that rolls back on failure). */
  deploy(funko: string, options: DeployOptions, progress: Progress): Promise<DeployResult>;
  /** Removes the funko's service; returns the names of the instances that ran, or null when it had none. */
  remove(funko: string, progress: Progress): Promise<string[] | null>;
}
