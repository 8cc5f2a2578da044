/**
 * Scale to zero and autoscaling, wired for `faaso serve`: the funkos'
 * settings (read from their latest images every two seconds), the hold queue
 * the proxy puts requests in, the sleeper and the autoscaler, and the clock
 * that drives them (ten looks a second, one autoscaling decision a second).
 *
 * @module
 */
import type { Docker } from "../../docker/mod.ts";
import type { Instance, InstanceEvent } from "../../core/instances.ts";
import type { FunkoSettings } from "../../core/manifest.ts";
import type { Progress } from "../../core/progress.ts";
import type { LifecycleDeps } from "../../core/scale.ts";
import type { SleepStates } from "../../core/sleep_state.ts";
import type { FunkoActivity } from "../../core/status.ts";
import { ImageSettings } from "../async/funko_settings.ts";
import { Autoscaler } from "./autoscaler.ts";
import { FunkoOps } from "./funko_ops.ts";
import { HoldQueue } from "./hold.ts";
import type { RoutingTable } from "./routing_table.ts";
import { Sleeper } from "./sleeper.ts";

/** How often the sleeper and the autoscaler look at the funkos. */
const TICK_MS = 100;
/** Autoscaling decisions, in ticks. */
const DECIDE_EVERY = 10;
/** How often the funkos' settings are read again from their images. */
const SETTINGS_MS = 2000;

/** Options for {@linkcode startScaling}. */
export interface ScalingOptions {
  /** The engine (images: the funkos' settings). */
  docker: Docker;
  /** The proxy's routing table. */
  table: RoutingTable;
  /** The engine's instances, with the table's drain hook. */
  lifecycle: LifecycleDeps;
  /** What sleeps, in the data folder. */
  states: SleepStates;
  /** Where to say what happens. */
  progress: Progress;
  /** Told of every wake and its duration (the metrics' hook). */
  onWake?: (funko: string, ms: number) => void;
}

/** Scale to zero and autoscaling, running. */
export interface Scaling {
  /** Where the proxy holds requests while no instance is ready. */
  hold: HoldQueue;
  /** Sleeps and wakes funkos. */
  sleeper: Sleeper;
  /** Grows and shrinks them. */
  autoscaler: Autoscaler;
  /** Takes an instance event (after the routing table did). */
  observe(event: InstanceEvent): void;
  /** Takes a full listing (after the routing table did). */
  synced(instances: Instance[]): void;
  /** What the proxy knows of the funko's activity, for status. */
  activity(funko: string): FunkoActivity;
  /** Stops the clock and waits for operations under way. */
  stop(): Promise<void>;
}

/** Reads the funkos' settings once, then starts the clock. */
export async function startScaling(options: ScalingOptions): Promise<Scaling> {
  const { table, lifecycle, states, progress } = options;
  const images = new ImageSettings(options.docker);
  let settings = new Map<string, FunkoSettings>();
  const refresh = async () => {
    try {
      settings = await images.all();
    } catch (error) {
      progress({ kind: "warning", text: `Cannot read the funkos' settings: ${(error as Error).message}` });
    }
  };
  await refresh();
  const settingsOf = (funko: string) => settings.get(funko);
  const ops = new FunkoOps();
  // The queue asks the sleeper to wake funkos, the sleeper asks the queue how many requests wait.
  const hold: HoldQueue = new HoldQueue({
    table,
    waker: { canWake: (funko) => sleeper.canWake(funko), wake: (funko) => sleeper.wake(funko) },
    settings: (funko) => settingsOf(funko)?.hold,
  });
  const held = (funko: string) => hold.held(funko);
  const sleeper = new Sleeper({
    table,
    lifecycle,
    states,
    ops,
    settings: settingsOf,
    held,
    progress,
    onWake: options.onWake,
  });
  const autoscaler = new Autoscaler({
    table,
    lifecycle,
    ops,
    settings: settingsOf,
    held,
    isAwake: (funko) => sleeper.isAwake(funko),
    progress,
  });

  let ticks = 0;
  const clock = setInterval(() => {
    const now = Date.now();
    sleeper.tick(now);
    autoscaler.sample(now);
    if (++ticks % DECIDE_EVERY === 0) autoscaler.decide(now);
  }, TICK_MS);
  let reading: Promise<void> | undefined;
  const reader = setInterval(() => reading ??= refresh().finally(() => reading = undefined), SETTINGS_MS);

  return {
    hold,
    sleeper,
    autoscaler,
    observe: (event) => sleeper.observe(event),
    synced: (instances) => sleeper.synced(instances),
    activity: (funko) => {
      const sleep = sleeper.activity(funko);
      const scale = autoscaler.activity(funko);
      return {
        ...sleep,
        target: scale?.target ?? null,
        panicking: scale?.panicking ?? false,
        ...(scale?.spares ? { spares: scale.spares } : {}),
        source: "proxy",
      };
    },
    stop: async () => {
      clearInterval(clock);
      clearInterval(reader);
      await reading;
      await ops.drained();
    },
  };
}
