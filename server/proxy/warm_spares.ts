/**
 * Warm spares (funko.yml `scale.warm`): instances the proxy starts, probes
 * and pauses ahead of load, named `faaso-NAME-spare-xxxxxx`, so that the
 * autoscaler's next step takes them in one rename and unpause (tens of
 * milliseconds) instead of a container start (seconds, and more when the
 * load already holds the CPU). A spare serves nothing and counts towards no
 * scale until taken; the routing table never routes to one.
 *
 * Spares are made one at a time, only while the funko is awake, runs, and
 * the autoscaler is calm (not panicking): making one costs the CPU a start
 * costs. `faaso down`, a sleep that stops the funko and a deploy remove them
 * (core/scale.ts, core/sleep.ts, core/deploy.ts); this module makes new ones.
 *
 * @module
 */
import type { Instance } from "../../core/instances.ts";
import type { Progress } from "../../core/progress.ts";
import type { LifecycleDeps } from "../../core/scale.ts";
import { waitReady } from "../../core/sleep.ts";
import type { RoutingTable } from "./routing_table.ts";

/** How long a new spare gets to answer its probe before it is removed again. */
const SPARE_PROBE_MS = 60_000;

/** After a spare could not be made, how long before the next try. */
const RETRY_MS = 30_000;

/** Options for {@linkcode WarmSpares}. */
export interface WarmSparesOptions {
  /** The engine and its instances. */
  lifecycle: LifecycleDeps;
  /** The proxy's routing table: spares and live instances per funko. */
  table: RoutingTable;
  /** Whether spares are still wanted for the funko (awake, running): checked again before a new one is paused. */
  wanted: (funko: string) => boolean;
  /** Where to say what it does. */
  progress: Progress;
}

/** Makes and hands out the warm spares of autoscaled funkos. */
export class WarmSpares {
  #options: WarmSparesOptions;
  #making = new Set<string>();
  #retryAt = new Map<string, number>();

  constructor(options: WarmSparesOptions) {
    this.#options = options;
  }

  /** Whether the backend keeps spares (plain containers do; a swarm's tasks are all alike). */
  get supported(): boolean {
    const { instances } = this.#options.lifecycle;
    return instances.createSpare !== undefined && instances.takeSpare !== undefined;
  }

  /**
   * Takes up to `count` paused spares of the funko into service (renamed,
   * thawed) and probes them; returns those that answered. A spare that does
   * not answer is removed.
   */
  async take(funko: string, count: number): Promise<Instance[]> {
    const { lifecycle } = this.#options;
    if (!this.supported || count <= 0) return [];
    const spares = (await lifecycle.instances.list(funko))
      .filter((instance) => instance.spare && instance.state === "paused")
      .slice(0, count);
    const taken = await Promise.all(spares.map(async (spare) => {
      try {
        const instance = await lifecycle.instances.takeSpare!(spare);
        const look = await waitReady(lifecycle, instance, SPARE_PROBE_MS);
        if (look.result.ready) return look.instance;
        await lifecycle.instances.remove(instance, 0);
      } catch (error) {
        this.#options.progress({ kind: "warning", text: `Cannot take ${spare.name}: ${(error as Error).message}` });
      }
      return null;
    }));
    return taken.filter((instance): instance is Instance => instance !== null);
  }

  /**
   * Makes one more spare of the funko when it has fewer than `wanted` (one
   * at a time per funko, in the background), and pauses a spare found
   * running (the engine restarted it).
   */
  keep(funko: string, wanted: number, now = Date.now()): void {
    if (!this.supported || this.#making.has(funko) || now < (this.#retryAt.get(funko) ?? 0)) return;
    const counts = this.#options.table.counts(funko);
    const running = this.#options.table.endpoints(funko).some((endpoint) => endpoint.spare && endpoint.running);
    if (counts.spares >= wanted && !running) return;
    this.#making.add(funko);
    this.#make(funko, counts.spares < wanted)
      .catch((error) => {
        this.#retryAt.set(funko, Date.now() + RETRY_MS);
        this.#options.progress({
          kind: "warning",
          text: `Cannot make a warm spare of ${funko}: ${(error as Error).message} (trying again in ${
            RETRY_MS / 1000
          } s)`,
        });
      })
      .finally(() => this.#making.delete(funko));
  }

  async #make(funko: string, another: boolean): Promise<void> {
    const { lifecycle, wanted, progress } = this.#options;
    const listed = await lifecycle.instances.list(funko);
    const running = listed.filter((instance) => instance.spare && instance.state === "running");
    const fresh = another ? [await lifecycle.instances.createSpare!(funko)] : [];
    for (const spare of [...running, ...fresh]) {
      const look = await waitReady(lifecycle, spare, SPARE_PROBE_MS);
      if (!look.result.ready) {
        // Removed meanwhile (faaso down, rm): nothing went wrong.
        if (!await lifecycle.instances.get(spare.id)) return;
        await lifecycle.instances.remove(spare, 0);
        throw new Error(`${spare.name} did not answer its probe (${look.result.reason}), so it was removed`);
      }
      if (!wanted(funko)) {
        // Put to sleep or brought down meanwhile: no spare is wanted now.
        await lifecycle.instances.remove(spare, 0);
        return;
      }
      await lifecycle.instances.pause(look.instance);
      progress({ kind: "step", text: `Warm spare ${spare.name} of ${funko} ready (paused)` });
    }
  }
}
