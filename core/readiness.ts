/**
 * Whether new instances are ready, as a deploy (and anything else that waits
 * for instances) judges it: Docker's healthcheck when the image has one,
 * else FaaSO's own probe of the funko's health path or port (core/probe.ts).
 *
 * @module
 */
import type { Instance } from "./instances.ts";
import { describeProbe, probe, type ProbeResult } from "./probe.ts";

/** Options for {@linkcode ReadinessTracker}. */
export interface ReadinessOptions {
  /** Replaces the network probe (tests). */
  probe?: (instance: Instance) => Promise<ProbeResult>;
  /** How long a health path may keep answering 404 before it counts as the wrong path. Default 2 s. */
  notFoundGraceMs?: number;
}

/** An instance's readiness at one look. */
export type Readiness =
  | { kind: "ready" }
  | { kind: "waiting"; reason?: string }
  | { kind: "failed"; reason: string };

/**
 * Follows the readiness of a set of instances across repeated looks: an
 * instance whose probe passed once stays ready (Docker's verdict can still
 * take it back), and a health path that answers 404 for 2 s is a mistake in
 * funko.yml, reported at once rather than after the whole timeout.
 */
export class ReadinessTracker {
  #passed = new Set<string>();
  #notFoundSince = new Map<string, number>();
  #probe: (instance: Instance) => Promise<ProbeResult>;
  #notFoundGraceMs: number;

  constructor(options: ReadinessOptions = {}) {
    this.#probe = options.probe ?? ((instance) => probe(instance));
    this.#notFoundGraceMs = options.notFoundGraceMs ?? 2000;
  }

  /** Looks at `instance` as read from the engine just now. */
  async check(instance: Instance): Promise<Readiness> {
    if (instance.state !== "running") return { kind: "waiting", reason: instance.state };
    if (instance.health === "unhealthy") return { kind: "failed", reason: "is unhealthy" };
    if (instance.health === "healthy") return { kind: "ready" };
    // Docker is still judging ("starting"): its verdict decides, not the probe.
    if (instance.health !== "none") return { kind: "waiting" };
    if (this.#passed.has(instance.id)) return { kind: "ready" };
    const result = await this.#probe(instance);
    if (result.ready) {
      this.#passed.add(instance.id);
      this.#notFoundSince.delete(instance.id);
      return { kind: "ready" };
    }
    if (result.status !== 404) {
      this.#notFoundSince.delete(instance.id);
      return { kind: "waiting", reason: result.reason };
    }
    const since = this.#notFoundSince.get(instance.id) ?? Date.now();
    this.#notFoundSince.set(instance.id, since);
    if (Date.now() - since < this.#notFoundGraceMs) return { kind: "waiting", reason: result.reason };
    return {
      kind: "failed",
      reason: `answers 404 to ${describeProbe(instance)}: set health in funko.yml to a path it answers ` +
        "with 2xx or 3xx, or to none (ready once the port accepts connections)",
    };
  }
}
