/**
 * Changes to instances, as the proxy follows them: the engine's container
 * events mapped to what matters for routing (a pause is a stop that froze
 * the instance, an unpause a start that thawed it).
 *
 * @module
 */
import type { DockerEvent } from "../docker/mod.ts";
import type { InstanceHealth } from "./instances.ts";
import { LABELS } from "./names.ts";

/**
 * A change to an instance: `start` (it runs now, or again), `update` (its
 * configuration changed: read it again), `health` (its healthcheck changed its
 * verdict), `stop` (it is stopping or stopped: send it nothing new), `destroy`
 * (it is gone). A `stop` that is a pause and a `start` that is an unpause say
 * so in `detail`: the instance is frozen or thawed, not ended or begun.
 */
export interface InstanceEvent {
  /** What happened. */
  action: "start" | "update" | "health" | "stop" | "destroy";
  /** The instance's ID. */
  id: string;
  /** The funko it belongs to. */
  funko: string;
  /** The new health, for `health` events. */
  health?: InstanceHealth;
  /** When it happened (Unix seconds). */
  time?: number;
  /** `pause` for a stop that only froze it, `unpause` for a start that thawed it. */
  detail?: "pause" | "unpause";
}

/** Signals after which a container is on its way out: KILL, TERM, INT, QUIT. */
const STOPPING_SIGNALS = new Set(["9", "15", "2", "3", "SIGKILL", "SIGTERM", "SIGINT", "SIGQUIT"]);

/** Maps an engine container event to an instance change (null: not one that matters). */
export function toInstanceEvent(event: DockerEvent): InstanceEvent | null {
  const id = event.Actor.ID;
  const funko = event.Actor.Attributes[LABELS.funko] ?? "";
  const action = event.Action;
  if (action === "unpause") return { action: "start", id, funko, time: event.time, detail: "unpause" };
  if (action === "start" || action === "restart") return { action: "start", id, funko, time: event.time };
  if (action === "pause") return { action: "stop", id, funko, detail: "pause" };
  // A rename is a spare taken into service: read it again.
  if (action === "update" || action === "rename") return { action: "update", id, funko };
  if (action.startsWith("health_status")) {
    const health = action.slice(action.indexOf(":") + 1).trim() as InstanceHealth;
    return { action: "health", id, funko, health };
  }
  if (action === "kill") {
    return STOPPING_SIGNALS.has(event.Actor.Attributes.signal ?? "") ? { action: "stop", id, funko } : null;
  }
  if (action === "die" || action === "stop" || action === "oom") {
    return { action: "stop", id, funko };
  }
  if (action === "destroy") return { action: "destroy", id, funko };
  return null;
}
