/**
 * Scale to zero in the proxy: a funko with `scale.min` 0 and no request in
 * flight for `idle.pause_after` is taken out of traffic and paused; after
 * `idle.stop_after` more it is stopped. The first request for a sleeping
 * funko is held (server/proxy/hold.ts) while one wake thaws or starts an
 * instance, probes it itself (Docker's verdict on a thawed instance is stale)
 * and routes to it; every other request held meanwhile rides on that wake.
 *
 * Requests in flight count, not requests finished: a long request, a stream
 * or an open WebSocket keeps its funko awake (the routing table counts them
 * until they end). A request that arrives while the pause is under way waits
 * for it to finish and then wakes the funko.
 *
 * What sleeps is recorded in the data folder (core/sleep_state.ts), so a
 * proxy started later finds it asleep, and neither the keeper nor the
 * start-up reconcile starts a stopped one. `docker unpause` or `docker start`
 * by hand wakes it as far as the proxy is concerned.
 *
 * @module
 */
import { FaasoError } from "../../core/errors.ts";
import type { Instance, InstanceEvent } from "../../core/instances.ts";
import type { FunkoSettings } from "../../core/manifest.ts";
import type { Progress } from "../../core/progress.ts";
import type { LifecycleDeps } from "../../core/scale.ts";
import { idleOf } from "../../core/scaling.ts";
import { durationMs } from "../../core/duration.ts";
import {
  firstReady,
  pauseInstances,
  type SleepResult,
  stopInstances,
  waitReady,
  wakeInstances,
} from "../../core/sleep.ts";
import type { SleepDepth, SleepStates } from "../../core/sleep_state.ts";
import type { FunkoOps } from "./funko_ops.ts";
import { notingBackend, OWN_EVENT_MS, type OwnEvent } from "./own_events.ts";
import type { WakeOutcome, Waker } from "./hold.ts";
import type { RoutingTable } from "./routing_table.ts";

/** Where a funko is in its sleep. */
export type SleepPhase = "awake" | "pausing" | "paused" | "stopping" | "stopped" | "waking";

/** What the sleeper knows of a funko, for status. */
export interface SleepActivity {
  /** Where it is. */
  state: SleepPhase;
  /** Since when (ISO 8601). */
  since: string;
  /** When the proxy last saw a request for it (ISO 8601); null when none since the proxy started. */
  lastRequest: string | null;
  /** Requests in flight or held for it now. */
  inFlight: number;
}

/** Options for {@linkcode Sleeper}. */
export interface SleeperOptions {
  /** The proxy's routing table (in-flight counts, routes). */
  table: RoutingTable;
  /** The engine and its instances. */
  lifecycle: LifecycleDeps;
  /** What sleeps, kept in the data folder. */
  states: SleepStates;
  /** One operation per funko at a time, shared with the autoscaler. */
  ops: FunkoOps;
  /** The funko's settings (from its latest image); undefined when not known yet. */
  settings: (funko: string) => FunkoSettings | undefined;
  /** Requests held for the funko (waiting for an instance). */
  held: (funko: string) => number;
  /** Where to say what happened. */
  progress: Progress;
  /** Told of every successful wake and how long it took, request to ready instance (metrics). */
  onWake?: (funko: string, ms: number) => void;
}

class FunkoSleep {
  phase: SleepPhase = "awake";
  since = Date.now();
  lastActive = Date.now();
  lastRequest: number | null = null;
  arrivals = -1;
  wake: Promise<WakeOutcome> | undefined;
}

/** Puts idle funkos to sleep and wakes them on request. */
export class Sleeper implements Waker {
  #options: SleeperOptions;
  #funkos = new Map<string, FunkoSleep>();
  /** Events the sleeper's own calls will cause, by instance, with when it made them. */
  #expected = new Map<string, { event: OwnEvent; at: number }[]>();
  /** Instance IDs seen so far: a start of an unknown one is a new instance, not a restart. */
  #seen = new Set<string>();
  /** The lifecycle deps whose backend notes each instance the sleeper touches. */
  #own: LifecycleDeps;

  constructor(options: SleeperOptions) {
    this.#options = options;
    // Every call the sleeper makes goes through here, so that the events it causes are known as its own.
    this.#own = {
      ...options.lifecycle,
      instances: notingBackend(options.lifecycle.instances, (id, event) => {
        const list = this.#expected.get(id) ?? [];
        list.push({ event, at: Date.now() });
        this.#expected.set(id, list);
      }),
    };
  }

  /** Whether the funko sleeps or is going to sleep: a request for it should wake it. */
  canWake(funko: string): boolean {
    const state = this.#funkos.get(funko);
    if (state && state.phase !== "awake") return true;
    if (this.#options.table.isAsleep(funko)) return true;
    // Paused by someone else (docker pause, faaso sleep -l on this machine) and nothing else serves.
    const counts = this.#options.table.counts(funko);
    return counts.paused > 0 && counts.live === 0;
  }

  /** Whether the funko's stopped instances are to stay stopped (it sleeps): for the keeper and reconcile. */
  keepsStopped(funko: string): boolean {
    const phase = this.#funkos.get(funko)?.phase ?? "awake";
    return phase !== "awake" || this.#options.states.get(funko) !== undefined;
  }

  /** What the sleeper knows of the funko. */
  activity(funko: string): SleepActivity {
    const state = this.#state(funko);
    return {
      state: state.phase,
      since: new Date(state.since).toISOString(),
      lastRequest: state.lastRequest === null ? null : new Date(state.lastRequest).toISOString(),
      inFlight: this.#options.table.inFlight(funko) + this.#options.held(funko),
    };
  }

  /** Whether the funko is awake and not being put to sleep: the autoscaler may act. */
  isAwake(funko: string): boolean {
    return (this.#funkos.get(funko)?.phase ?? "awake") === "awake" && !this.#options.table.isAsleep(funko);
  }

  /**
   * Looks at every funko: notes requests seen since the last look, and puts
   * to sleep those idle long enough. Called a few times a second.
   */
  tick(now = Date.now()): void {
    const { table, held, settings, ops } = this.#options;
    for (const funko of new Set([...table.funkos(), ...this.#funkos.keys()])) {
      const state = this.#state(funko);
      const arrivals = table.arrivals(funko);
      if (arrivals !== state.arrivals) {
        if (state.arrivals >= 0) state.lastRequest = now;
        state.arrivals = arrivals;
        state.lastActive = now;
      }
      if (table.inFlight(funko) + held(funko) > 0) state.lastActive = now;
      // Idle counts from when an instance is ready: one still starting (faaso up waits for it) is not idle.
      if (state.phase === "awake" && table.counts(funko).ready === 0) state.lastActive = now;
      const funkoSettings = settings(funko);
      const idle = funkoSettings ? idleOf(funkoSettings) : null;
      if (!idle || ops.busy(funko)) continue;
      if (state.phase === "awake" && now - state.lastActive >= idle.pauseAfterMs && table.counts(funko).live > 0) {
        this.sleep(funko, "paused").catch(() => {});
      } else if (state.phase === "paused" && idle.stopAfterMs !== null && now - state.since >= idle.stopAfterMs) {
        this.sleep(funko, "stopped").catch(() => {});
      }
    }
    for (const [id, list] of this.#expected) {
      const left = list.filter((expected) => now - expected.at < OWN_EVENT_MS);
      if (left.length) this.#expected.set(id, left);
      else this.#expected.delete(id);
    }
  }

  /**
   * Puts the funko to sleep: paused (or stopped where the backend cannot
   * pause), or stopped. Takes it out of traffic first; an idle pause gives
   * up when a request is in flight by then. `faaso sleep` comes here too.
   */
  sleep(funko: string, depth: SleepDepth, options: { force?: boolean } = {}): Promise<SleepResult> {
    return this.#options.ops.run(funko, async () => {
      const state = this.#state(funko);
      const { table, held, states, progress } = this.#options;
      // Warm spares are paused already, and a stop removes them (stopInstances).
      const instances = (await this.#own.instances.list(funko)).filter((instance) => !instance.spare);
      const running = instances.filter((instance) => instance.state === "running");
      if (depth === "paused" && running.length === 0) {
        // Asleep already: say how.
        const paused = instances.filter((instance) => instance.state === "paused");
        return {
          funko,
          state: paused.length > 0 ? "paused" : "stopped",
          instances: (paused.length > 0 ? paused : instances).map((instance) => instance.name),
        };
      }
      const was = state.phase;
      state.phase = depth === "paused" ? "pausing" : "stopping";
      table.setAsleep(funko, true);
      // The proxy's worker threads send no new request to it once they have applied that: only then do counts tell.
      await table.settled();
      if (!options.force && table.inFlight(funko) + held(funko) > 0 && was === "awake") {
        // A request came in the meantime: stay awake.
        state.phase = "awake";
        table.setAsleep(funko, false);
        return { funko, state: "awake" as const, instances: [] };
      }
      if (options.force) await this.#drained(funko);
      try {
        let reached: SleepDepth = "stopped";
        if (depth === "paused") reached = await pauseInstances(this.#own, running);
        else await stopInstances(this.#own, funko);
        await states.set(funko, reached);
        this.#enter(state, reached);
        const what = depth === "paused" ? running : instances;
        progress({ kind: "step", text: `${funko} sleeps (${reached}): ${what.map((i) => i.name).join(", ")}` });
        return { funko, state: reached, instances: what.map((instance) => instance.name) };
      } catch (error) {
        progress({ kind: "warning", text: `Cannot put ${funko} to sleep: ${(error as Error).message}` });
        state.phase = was === "awake" ? "awake" : was;
        if (state.phase === "awake") table.setAsleep(funko, false);
        throw error;
      }
    });
  }

  /** Wakes the funko (one wake at a time, whatever number of requests ask) and routes to the instance woken. */
  wake(funko: string): Promise<WakeOutcome> {
    const state = this.#state(funko);
    return state.wake ??= this.#options.ops.run(funko, () => this.#wakeNow(funko, state))
      .finally(() => state.wake = undefined);
  }

  /** Reacts to an instance event the table has taken in: a wake or sleep from outside the proxy. */
  observe(event: InstanceEvent): void {
    const known = this.#seen.has(event.id);
    if (event.action === "destroy") this.#seen.delete(event.id);
    else this.#seen.add(event.id);
    if (this.#isOwn(event) || this.#options.ops.busy(event.funko)) return;
    const state = this.#funkos.get(event.funko);
    const asleep = state?.phase === "paused" || state?.phase === "stopped";
    if (event.action === "start" && state && asleep) {
      // Paused, and the engine started one again (it restarted): back to sleep. Anything else is a wake
      // from outside: docker unpause or docker start by hand, faaso up, a deploy's new instances.
      if (state.phase === "paused" && known && event.detail !== "unpause") this.#sleepAgain(event.funko);
      else this.#adopt(event.funko, event.id);
    } else if (event.action === "stop" && event.detail === "pause" && (!state || state.phase === "awake")) {
      const counts = this.#options.table.counts(event.funko);
      if (counts.live === 0 && counts.paused > 0) this.#adoptSleep(event.funko);
    } else if (
      event.action === "destroy" && state && state.phase !== "awake" && !this.#options.table.knows(event.funko)
    ) {
      // Removed (faaso down, rm): nothing sleeps any more, and nothing will be woken. A swarm funko asleep has
      // no task at all (its service at 0 replicas): forgotten only once its service is gone (faaso rm).
      const service = this.#options.lifecycle.instances.service;
      if (!service) this.#forget(event.funko);
      else service.desired(event.funko).then((desired) => desired === null && this.#forget(event.funko), () => {});
    }
  }

  /**
   * Takes in a full listing (at start, and after the engine's events broke
   * off): funkos recorded asleep are asleep again, and instances of theirs
   * the engine started meanwhile go back to sleep; funkos found all paused
   * are asleep.
   */
  synced(instances: Instance[]): void {
    const { states, table, ops } = this.#options;
    for (const instance of instances) this.#seen.add(instance.id);
    const byFunko = Map.groupBy(instances, (instance) => instance.funko);
    for (const [funko, record] of Object.entries(states.all())) {
      if (ops.busy(funko)) continue;
      const state = this.#state(funko);
      state.phase = record.depth;
      state.since = Date.parse(record.since) || Date.now();
      table.setAsleep(funko, true);
      if (byFunko.get(funko)?.some((instance) => instance.state === "running")) this.#sleepAgain(funko);
    }
    for (const [funko, listed] of byFunko) {
      if (states.get(funko) || ops.busy(funko)) continue;
      // Paused warm spares beside a running instance are no sleep.
      const own = listed.filter((instance) => !instance.spare);
      if (own.some((instance) => instance.state === "paused") && !own.some((i) => i.state === "running")) {
        this.#adoptSleep(funko);
      }
    }
  }

  /** Whether the event is one the sleeper's own call caused (and then forgets that call). */
  #isOwn(event: InstanceEvent): boolean {
    const kind: OwnEvent | undefined = event.detail === "pause"
      ? "pause"
      : event.detail === "unpause"
      ? "unpause"
      : event.action === "start"
      ? "start"
      : undefined;
    const list = this.#expected.get(event.id);
    const index = list?.findIndex((expected) => expected.event === kind) ?? -1;
    if (!list || index < 0) return false;
    list.splice(index, 1);
    if (list.length === 0) this.#expected.delete(event.id);
    return true;
  }

  async #wakeNow(funko: string, state: FunkoSleep): Promise<WakeOutcome> {
    const { table, states, progress, settings } = this.#options;
    if (!table.isAsleep(funko) && state.phase === "awake" && table.counts(funko).ready > 0) return { ok: true };
    const started = performance.now();
    const was = state.phase;
    state.phase = "waking";
    try {
      const woken = await wakeInstances(this.#own, funko);
      const timeoutMs = durationMs(settings(funko)?.hold.timeout ?? "30s");
      const first = await firstReady(this.#own, woken.instances, timeoutMs);
      if (!first.instance) throw new Error(first.reason);
      table.markReady(first.instance);
      table.setAsleep(funko, false);
      for (const other of woken.instances) {
        if (other.id === first.instance.id) continue;
        waitReady(this.#own, other, timeoutMs).then(({ result, instance }) => {
          if (result.ready && table.get(instance.id)?.running !== false) table.markReady(instance);
        });
      }
      this.#enter(state, "awake");
      state.lastActive = Date.now();
      await states.set(funko, null);
      const ms = performance.now() - started;
      progress({ kind: "step", text: `Woke ${funko} (${woken.kind} ${first.instance.name}) in ${Math.round(ms)} ms` });
      this.#options.onWake?.(funko, ms);
      return { ok: true, instance: first.instance.name };
    } catch (error) {
      const reason = (error as Error).message;
      progress({ kind: "warning", text: `Cannot wake ${funko}: ${reason}` });
      state.phase = was === "waking" || was === "awake" ? states.get(funko)?.depth ?? "stopped" : was;
      // Removed while asleep (no instance, no image; a swarm funko asleep has no task whose removal says so).
      if (error instanceof FaasoError && error.code === "not_found") this.#forget(funko);
      return { ok: false, reason };
    }
  }

  /** An instance of a sleeping funko runs again from outside the proxy: probe it, route to it, awake. */
  #adopt(funko: string, id: string): void {
    this.#options.ops.run(funko, async () => {
      const state = this.#state(funko);
      const instance = await this.#options.lifecycle.instances.get(id);
      if (!instance || instance.state !== "running") return;
      const timeoutMs = durationMs(this.#options.settings(funko)?.hold.timeout ?? "30s");
      const { result, instance: now } = await waitReady(this.#own, instance, timeoutMs);
      if (result.ready) this.#options.table.markReady(now);
      this.#options.table.setAsleep(funko, false);
      this.#enter(state, "awake");
      state.lastActive = Date.now();
      await this.#options.states.set(funko, null);
      this.#options.progress({ kind: "step", text: `${instance.name} runs again from outside: ${funko} is awake` });
    }).catch((error) => this.#options.progress({ kind: "warning", text: `${funko}: ${(error as Error).message}` }));
  }

  /** Every instance of an awake funko was paused from outside: it sleeps, and a request wakes it. */
  #adoptSleep(funko: string): void {
    const state = this.#state(funko);
    this.#enter(state, "paused");
    this.#options.table.setAsleep(funko, true);
    this.#options.states.set(funko, "paused").catch(() => {});
  }

  /** Instances of a sleeping funko run (the engine restarted them): back to its recorded sleep. */
  #sleepAgain(funko: string): void {
    this.#options.ops.run(funko, async () => {
      const state = this.#state(funko);
      if (state.phase !== "paused" && state.phase !== "stopped") return;
      const running = (await this.#own.instances.list(funko)).filter((instance) => instance.state === "running");
      if (running.length === 0) return;
      if (state.phase === "paused") await pauseInstances(this.#own, running);
      else await stopInstances(this.#own, funko);
      this.#options.progress({ kind: "step", text: `${funko} sleeps again (${state.phase})` });
    }).catch((error) => this.#options.progress({ kind: "warning", text: `${funko}: ${(error as Error).message}` }));
  }

  /**
   * Forgets that the funko sleeps: `faaso down` took it down on purpose, and a
   * request must get 503, not wake it. (A container funko's removal says so
   * by its events; a swarm funko asleep is already at 0 replicas, so its
   * `down` causes none.)
   */
  takenDown(funko: string): void {
    if (this.#funkos.has(funko)) this.#forget(funko);
  }

  #forget(funko: string): void {
    this.#funkos.delete(funko);
    this.#options.table.setAsleep(funko, false);
    this.#options.states.set(funko, null).catch(() => {});
  }

  /** Waits until the funko has no request in flight, up to its drain time (an explicit sleep). */
  async #drained(funko: string): Promise<void> {
    const drain = durationMs(this.#options.settings(funko)?.drain ?? "10s");
    const deadline = Date.now() + drain;
    while (this.#options.table.inFlight(funko) > 0 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  #enter(state: FunkoSleep, phase: SleepPhase): void {
    state.phase = phase;
    state.since = Date.now();
  }

  #state(funko: string): FunkoSleep {
    let state = this.#funkos.get(funko);
    if (!state) {
      state = new FunkoSleep();
      this.#funkos.set(funko, state);
    }
    return state;
  }
}
