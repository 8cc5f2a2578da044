/**
 * Autoscaling in the proxy, which sees every request: for each funko whose
 * `scale` is a range, the requests in flight (held ones included) are sampled
 * ten times a second and a decision (autoscale_decider.ts) is taken every
 * second. New instances are created as `faaso scale` creates them and routed
 * as soon as the proxy's own probe passes; removed ones are retired and
 * drained as in a deploy (core/scale.ts). With `scale.warm`, a step takes
 * paused warm spares first (warm_spares.ts), and calm turns make new ones. A
 * funko that sleeps, or that was
 * brought to zero by hand (`faaso down`), is left alone: waking is the
 * sleeper's business, and a funko at zero stays there.
 *
 * @module
 */
import type { FunkoSettings } from "../../core/manifest.ts";
import { type Progress, silent } from "../../core/progress.ts";
import { type LifecycleDeps, scale } from "../../core/scale.ts";
import { autoscales, TARGET_UTILIZATION, warmOf, windowsOf } from "../../core/scaling.ts";
import { waitReady } from "../../core/sleep.ts";
import { AutoscaleDecider, ConcurrencyWindow, type Decision } from "./autoscale_decider.ts";
import type { FunkoOps } from "./funko_ops.ts";
import { isHealthy, type RoutingTable } from "./routing_table.ts";
import { WarmSpares } from "./warm_spares.ts";

/** How far back a burst is looked at when warm spares can meet it at once. */
const BURST_WINDOW_MS = 1000;

/** How long a new instance gets to answer its probe before it is left to Docker's healthcheck. */
const NEW_INSTANCE_PROBE_MS = 60_000;

/** Options for {@linkcode Autoscaler}. */
export interface AutoscalerOptions {
  /** The proxy's routing table: in-flight counts and instances. */
  table: RoutingTable;
  /** The engine and its instances, with the table's drain hook. */
  lifecycle: LifecycleDeps;
  /** One operation per funko at a time, shared with the sleeper. */
  ops: FunkoOps;
  /** The funko's settings (from its latest image); undefined when not known yet. */
  settings: (funko: string) => FunkoSettings | undefined;
  /** Requests held for the funko (waiting for an instance): demand too. */
  held: (funko: string) => number;
  /** Whether the funko is awake (the sleeper's say). */
  isAwake: (funko: string) => boolean;
  /** Where to say what it does. */
  progress: Progress;
}

/** What the autoscaler thinks of a funko, for status. */
export interface AutoscaleActivity {
  /** The number of instances it aims at. */
  target: number;
  /** Whether it is panicking (a burst: no scale-down). */
  panicking: boolean;
  /** Average requests in flight over the stable window. */
  stable: number;
  /** Average requests in flight over the panic window. */
  panic: number;
  /** Warm spares paused and ready to be taken. */
  spares: number;
}

class FunkoScaling {
  window: ConcurrencyWindow;
  decider = new AutoscaleDecider();
  last: (Decision & { stable: number; panic: number }) | undefined;
  constructor(readonly stableMs: number, readonly panicMs: number) {
    this.window = new ConcurrencyWindow(stableMs);
  }
}

/** Grows and shrinks autoscaled funkos. */
export class Autoscaler {
  #options: AutoscalerOptions;
  #funkos = new Map<string, FunkoScaling>();
  #spares: WarmSpares;

  constructor(options: AutoscalerOptions) {
    this.#options = options;
    this.#spares = new WarmSpares({
      lifecycle: options.lifecycle,
      table: options.table,
      wanted: (funko) => options.isAwake(funko) && options.table.counts(funko).live > 0,
      progress: options.progress,
    });
  }

  /** Samples every autoscaled funko's requests in flight. */
  sample(now = Date.now()): void {
    const { table, held } = this.#options;
    for (const funko of table.funkos()) {
      const settings = this.#options.settings(funko);
      if (!settings || !autoscales(settings)) {
        this.#funkos.delete(funko);
        continue;
      }
      const { stableMs, panicMs } = windowsOf(settings);
      let state = this.#funkos.get(funko);
      if (state?.stableMs !== stableMs) this.#funkos.set(funko, state = new FunkoScaling(stableMs, panicMs));
      state.window.add(now, table.inFlight(funko) + held(funko));
    }
  }

  /** Decides for every autoscaled funko, and acts where the decision changes its instances. */
  decide(now = Date.now()): void {
    const { table, ops, isAwake } = this.#options;
    for (const [funko, state] of this.#funkos) {
      const settings = this.#options.settings(funko);
      if (!settings || !table.knows(funko)) {
        this.#funkos.delete(funko);
        continue;
      }
      const counts = table.counts(funko);
      const stable = state.window.average(now, state.stableMs);
      const panic = state.window.average(now, state.panicMs);
      const decision = state.decider.decide(
        {
          concurrency: settings.concurrency,
          min: settings.scale.min,
          max: settings.scale.max,
          stableWindowMs: state.stableMs,
        },
        { now, stable, panic, ready: counts.ready, live: counts.live },
      );
      // While panicking, paused warm spares are taken as far as the last second's peak asks, not as the panic
      // window's average climbs: one costs an unpause and goes back when the load does. Starts still wait for the
      // panic window (tried on 2 cores: starting as fast as the last second asks overshot and slowed the step;
      // bench/README.md).
      if (decision.panicking && counts.sparesReady > 0) {
        const recent = state.window.peak(now, BURST_WINDOW_MS);
        const burst = Math.ceil(recent / (settings.concurrency * TARGET_UTILIZATION));
        const reach = Math.min(burst, counts.live + counts.sparesReady, settings.scale.max);
        decision.target = Math.max(decision.target, reach);
      }
      state.last = { ...decision, stable, panic };
      // Asleep, being woken or put to sleep, at zero by hand, or busy: no step now.
      if (!isAwake(funko) || counts.live === 0 || ops.busy(funko)) continue;
      const grow = decision.target > counts.live;
      // Shrinking waits until nothing starts or drains (a deploy, an earlier step).
      const shrink = decision.target < counts.live && counts.starting === 0 && counts.draining === 0;
      if (grow || shrink) this.#step(funko, counts.live, decision.target, state);
      else if (!decision.panicking && counts.starting === 0 && counts.draining === 0) {
        // Calm: keep the warm spares, as many as could still be taken.
        this.#spares.keep(funko, Math.min(warmOf(settings), settings.scale.max - counts.live), now);
      }
    }
  }

  /** What the autoscaler thinks of the funko; null when it does not autoscale. */
  activity(funko: string): AutoscaleActivity | null {
    const last = this.#funkos.get(funko)?.last;
    if (!last) return null;
    return {
      target: last.target,
      panicking: last.panicking,
      stable: round(last.stable),
      panic: round(last.panic),
      spares: this.#options.table.counts(funko).sparesReady,
    };
  }

  #step(funko: string, from: number, to: number, state: FunkoScaling): void {
    const { lifecycle, ops, progress, table } = this.#options;
    const why = state.last!;
    const reason = why.panicking
      ? `panic: ${round(why.panic)} in flight over ${state.panicMs / 1000} s`
      : `${round(why.stable)} in flight over ${state.stableMs / 1000} s`;
    progress({ kind: "step", text: `Autoscaling ${funko}: ${from} -> ${to} instances (${reason})` });
    // Not waiting for Docker's verdict as `faaso scale` does (main since issue 22): the probe below routes new
    // instances sooner, and one slow instance must not take the others out again.
    ops.run(funko, async () => {
      if (to > from) {
        // Warm spares first: one rename and unpause each, routed as soon as their probe passes.
        const taken = await this.#spares.take(funko, to - from);
        for (const instance of taken) table.markReady(instance);
        if (taken.length > 0) {
          progress({ kind: "step", text: `Took ${taken.map((instance) => instance.name).join(", ")} into service` });
        }
      }
      return await scale(lifecycle, funko, to, silent, { wait: false });
    }).then(async () => {
      // New instances serve as soon as the proxy's probe passes, not after Docker's first healthcheck.
      const starting = table.endpoints(funko).filter((endpoint) =>
        endpoint.running && !endpoint.draining && !isHealthy(endpoint)
      );
      await Promise.all(starting.map(async (endpoint) => {
        const instance = await lifecycle.instances.get(endpoint.id);
        if (!instance) return;
        const look = await waitReady(lifecycle, instance, NEW_INSTANCE_PROBE_MS);
        if (look.result.ready && table.get(instance.id)?.running !== false) table.markReady(look.instance);
      }));
    }).catch((error) => {
      progress({ kind: "warning", text: `Cannot autoscale ${funko} to ${to}: ${(error as Error).message}` });
    });
  }
}

function round(value: number): number {
  return Math.round(value * 10) / 10;
}
