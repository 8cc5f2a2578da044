/**
 * The engine events the sleeper's own calls cause (a pause, a thaw, a start),
 * which it must not take for someone else's doing: `docker unpause` by hand
 * wakes a funko, the sleeper's own unpause does not count twice.
 *
 * @module
 */
import type { Instance, InstanceBackend } from "../../core/instances.ts";

/** How long the sleeper waits for the engine's event of a call of its own before it forgets it. */
export const OWN_EVENT_MS = 30_000;

/** The events the sleeper's own calls cause and that it must not take for someone else's doing. */
export type OwnEvent = "pause" | "unpause" | "start";

/**
 * The backend, noting the start-like and pause events each call will cause:
 * a pause, a thaw, a start, and the thaw Docker makes of a paused container
 * it stops or removes.
 */
export function notingBackend(
  backend: InstanceBackend,
  expect: (id: string, event: OwnEvent) => void,
): InstanceBackend {
  const thawedIfPaused = (instance: Instance) => {
    if (instance.state === "paused") expect(instance.id, "unpause");
  };
  return {
    // What it can do and, on a swarm, its service (sleep and wake scale it): the backend's own.
    capabilities: backend.capabilities,
    service: backend.service,
    list: (funko, signal) => backend.list(funko, signal),
    get: (id, signal) => backend.get(id, signal),
    events: (signal) => backend.events(signal),
    logs: (instance, options) => backend.logs(instance, options),
    retire: (instance, signal) => backend.retire(instance, signal),
    pause: (instance, signal) => (expect(instance.id, "pause"), backend.pause(instance, signal)),
    unpause: (instance, signal) => (expect(instance.id, "unpause"), backend.unpause(instance, signal)),
    start: (instance, signal) => (expect(instance.id, "start"), backend.start(instance, signal)),
    stop: (instance, seconds, signal) => (thawedIfPaused(instance), backend.stop(instance, seconds, signal)),
    remove: (instance, seconds, signal) => (thawedIfPaused(instance), backend.remove(instance, seconds, signal)),
    // Its start event comes while the wake that creates it runs: ignored then (one operation at a time).
    create: (funko, signal) => backend.create(funko, signal),
    repair: (instance, signal) => (expect(instance.id, "start"), backend.repair(instance, signal)),
    replace: (instance, signal) => backend.replace(instance, signal),
    // Warm spares, where the backend keeps them; taking one thaws it.
    ...(backend.createSpare && backend.takeSpare
      ? {
        createSpare: (funko, signal) => backend.createSpare!(funko, signal),
        takeSpare: (spare, signal) => (thawedIfPaused(spare), backend.takeSpare!(spare, signal)),
      }
      : {}),
  };
}
