/**
 * Bringing funkos back to their desired scale. A funko's desired scale is the
 * number of its instance containers: FaaSO removes an instance when it scales
 * down and merely stops one only to put its funko to sleep, so any other
 * instance found not running (the engine restarted, someone ran docker stop,
 * it crashed and Docker gave up) is started again.
 *
 * @module
 */
import type { Instance } from "./instances.ts";
import { type Progress, silent } from "./progress.ts";
import type { LifecycleDeps } from "./scale.ts";

/** What a reconciliation did. */
export interface ReconcileResult {
  /** Instances started again. */
  started: string[];
  /** Instances that could not be started, with the reason. */
  failed: { instance: string; reason: string }[];
}

/** Whether an instance should be started again. */
export function needsStart(instance: Instance): boolean {
  return instance.state === "exited" || instance.state === "created";
}

/** Options for {@linkcode reconcile}. */
export interface ReconcileOptions {
  /** Whether the funko's stopped instances are to stay stopped: it sleeps (core/sleep_state.ts). */
  keepsStopped?: (funko: string) => boolean;
}

/** Starts every instance (of every funko) that is not running, except those of sleeping funkos. */
export async function reconcile(
  deps: LifecycleDeps,
  progress: Progress = silent,
  options: ReconcileOptions = {},
): Promise<ReconcileResult> {
  const result: ReconcileResult = { started: [], failed: [] };
  const stopped = (await deps.instances.list()).filter((instance) =>
    needsStart(instance) && !options.keepsStopped?.(instance.funko)
  );
  await Promise.all(stopped.map(async (listed) => {
    // A listing cannot tell a retired instance (a deploy that stopped half-way) from one to restart.
    const instance = await deps.instances.get(listed.id);
    if (!instance || instance.retiring) return;
    try {
      await deps.instances.start(instance);
      progress({ kind: "step", text: `Started ${instance.name} again` });
      result.started.push(instance.name);
    } catch (error) {
      const reason = (error as Error).message;
      progress({ kind: "warning", text: `Cannot start ${instance.name}: ${reason}` });
      result.failed.push({ instance: instance.name, reason });
    }
  }));
  return result;
}
