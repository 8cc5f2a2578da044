/**
 * Keeps every funko at its desired scale while the server runs. An instance
 * that stopped and that Docker's restart policy did not bring back within a
 * grace period (someone ran docker stop, or the policy gave up) is started
 * again: FaaSO itself removes instances, it never merely stops them.
 *
 * @module
 */
import type { InstanceBackend, InstanceEvent } from "../../core/instances.ts";
import { needsStart } from "../../core/reconcile.ts";
import type { Progress } from "../../core/progress.ts";

/** How long Docker gets to restart a stopped instance itself. */
const GRACE_MS = 10_000;

/** Options for {@linkcode InstanceKeeper}. */
export interface KeeperOptions {
  /** Where to say what the keeper did. */
  progress: Progress;
  /** Whether the funko's stopped instances are to stay stopped: it sleeps (the sleeper stopped them). */
  keepsStopped?: (funko: string) => boolean;
}

/** Starts instances again that stayed stopped. Feed it instance events. */
export class InstanceKeeper {
  #instances: InstanceBackend;
  #options: KeeperOptions;
  #timers = new Map<string, ReturnType<typeof setTimeout>>();
  #stopped = false;

  constructor(instances: InstanceBackend, options: KeeperOptions) {
    this.#instances = instances;
    this.#options = options;
  }

  /** Reacts to an instance event. */
  observe(event: InstanceEvent): void {
    // A pause is no stop: the instance is still there, frozen on purpose.
    if (event.action === "stop" && event.detail !== "pause" && !this.#timers.has(event.id) && !this.#stopped) {
      this.#timers.set(event.id, setTimeout(() => this.#check(event.id), GRACE_MS));
    } else if (event.action === "start" || event.action === "destroy") {
      clearTimeout(this.#timers.get(event.id));
      this.#timers.delete(event.id);
    }
  }

  /** Cancels pending checks. */
  stop(): void {
    this.#stopped = true;
    for (const timer of this.#timers.values()) clearTimeout(timer);
    this.#timers.clear();
  }

  async #check(id: string): Promise<void> {
    this.#timers.delete(id);
    try {
      const instance = await this.#instances.get(id);
      if (this.#stopped || !instance || !needsStart(instance) || instance.retiring) return;
      if (this.#options.keepsStopped?.(instance.funko)) return;
      await this.#instances.start(instance);
      this.#options.progress({ kind: "step", text: `Started ${instance.name} again: it had stopped` });
    } catch (error) {
      this.#options.progress({
        kind: "warning",
        text: `Cannot start instance ${id.slice(0, 12)} again: ${(error as Error).message}`,
      });
    }
  }
}
