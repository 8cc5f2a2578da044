/**
 * Waiting for new instances, as deploy, up and scale do: until each is
 * healthy (or running, when it has no healthcheck), or one stops, crashes or
 * turns unhealthy, or the time is up; and the last lines of the one that
 * failed, to show with the error.
 *
 * @module
 */
import type { Instance } from "./instances.ts";
import { ReadinessTracker } from "./readiness.ts";
import type { LifecycleDeps } from "./scale.ts";
import { counted } from "./words.ts";

/** How often the new instances are looked at. */
const POLL_MS = 250;

/** How long new instances get to become healthy when nothing else says. */
export const DEFAULT_WAIT_MS = 120_000;

/** An instance that did not become healthy, and why. */
export interface WaitProblem {
  /** The instance. */
  instance: Instance;
  /** Why, as the end of a sentence starting with its name: "is unhealthy", "crashed (...)". */
  reason: string;
}

/** Waits until every instance is healthy (or running, without a healthcheck); says what went wrong otherwise. */
export async function waitHealthy(
  deps: LifecycleDeps,
  instances: Instance[],
  timeoutMs: number,
): Promise<WaitProblem | undefined> {
  const deadline = Date.now() + timeoutMs;
  const readiness = new ReadinessTracker();
  while (true) {
    const now = await Promise.all(instances.map((instance) => deps.instances.get(instance.id)));
    let waiting: { instance: Instance; reason?: string } | undefined;
    for (const [i, current] of now.entries()) {
      const instance = instances[i]!;
      if (!current) return { instance, reason: "disappeared" };
      const exit = current.exitCode === undefined ? "" : ` with exit code ${current.exitCode}`;
      if (current.state !== "running" && current.state !== "restarting" && current.state !== "created") {
        return { instance, reason: `stopped${exit} (${current.state})` };
      }
      // A crash first: an instance that keeps crashing is soon unhealthy too, which says less.
      if ((current.restarts ?? 0) > 0 || current.state === "restarting") {
        const restarts = current.restarts ? ` (restarted ${counted(current.restarts, "time")})` : "";
        return { instance, reason: `crashed${exit}${restarts}` };
      }
      if (current.health === "unhealthy") return { instance, reason: "is unhealthy" };
    }
    // Docker's verdict, or without a Docker healthcheck FaaSO's probe of the health path or port.
    const looks = await Promise.all(now.map((current) => readiness.check(current!)));
    for (const [i, look] of looks.entries()) {
      if (look.kind === "failed") return { instance: instances[i]!, reason: look.reason };
      if (look.kind === "waiting") waiting ??= { instance: instances[i]!, reason: look.reason };
    }
    if (!waiting) return undefined;
    if (Date.now() >= deadline) {
      const why = waiting.reason ? ` (last check: ${waiting.reason})` : "";
      return { instance: waiting.instance, reason: `did not become healthy in ${timeoutMs / 1000} s${why}` };
    }
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
}

/** The last `count` lines an instance wrote (none when they cannot be read). */
export async function lastLines(deps: LifecycleDeps, instance: Instance, count = 20): Promise<string[]> {
  try {
    const lines = await deps.instances.logs(instance, { tail: count });
    // Shown in an error message (a terminal, a web page, JSON): without the app's colour codes.
    const { stripVTControlCharacters } = await import("node:util");
    return (await Array.fromAsync(lines)).map((line) => stripVTControlCharacters(line.text));
  } catch {
    return [];
  }
}
