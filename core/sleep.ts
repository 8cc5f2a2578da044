/**
 * A funko's sleep on the engine: pausing its instances (no CPU, memory kept),
 * stopping them (memory freed), and waking one. The proxy's sleeper takes
 * these steps when a funko is idle or a request comes for it, and adds the
 * routing around them; `faaso sleep` and `faaso wake` take them in local mode.
 *
 * @module
 */
import { FaasoError, notFound } from "./errors.ts";
import { capabilitiesOf } from "./instance_capabilities.ts";
import type { Instance } from "./instances.ts";
import { drainMs, settingsFromLabels } from "./manifest.ts";
import { latestImage } from "./names.ts";
import { probe, type ProbeResult } from "./probe.ts";
import { type Progress, silent } from "./progress.ts";
import type { LifecycleDeps } from "./scale.ts";
import type { SleepDepth, SleepStates } from "./sleep_state.ts";
import { counted } from "./words.ts";

/** How a wake brought an instance back. */
export type WakeKind = "unpause" | "start" | "create";

/** What a wake brought back. */
export interface Woken {
  /** How. */
  kind: WakeKind;
  /** The instances thawed or started, as the engine reports them now; the first is the newest. */
  instances: Instance[];
}

/** Whether an instance is stopped (exited, or created and never started). */
export function isStopped(instance: Instance): boolean {
  return instance.state === "exited" || instance.state === "created" || instance.state === "dead";
}

/**
 * Freezes running instances (`docker pause`), all at once; one paused
 * meanwhile by someone else counts as done. Where the backend cannot pause,
 * stops them instead: see {@linkcode stopInstances}.
 */
export async function pauseInstances(deps: LifecycleDeps, instances: Instance[]): Promise<SleepDepth> {
  if (!capabilitiesOf(deps.instances).pause) {
    const funko = instances[0]?.funko;
    if (funko) await stopInstances(deps, funko);
    return "stopped";
  }
  await Promise.all(instances.map(async (instance) => {
    try {
      await deps.instances.pause(instance);
    } catch (error) {
      // Paused meanwhile by another hand (a proxy's idle timer, faaso sleep elsewhere): what was asked is done.
      if ((await deps.instances.get(instance.id))?.state !== "paused") throw error;
    }
  }));
  return "paused";
}

/**
 * Stops a sleeping funko to free its memory: its newest instance of the
 * latest image is stopped and kept (a wake starts it again: its files and
 * logs stay), the others are removed. Paused ones are thawed first, so that
 * they end on SIGTERM within the funko's drain time. A funko that is a
 * service (a swarm) is scaled to 0 instead: its service stays, its tasks go
 * (the swarm drains them within the stop grace period).
 */
export async function stopInstances(
  deps: LifecycleDeps,
  funko: string,
): Promise<{ kept?: Instance; removed: Instance[] }> {
  const service = deps.instances.service;
  if (service) {
    const instances = await deps.instances.list(funko);
    await service.scale(funko, 0, silent);
    return { removed: instances };
  }
  const [instances, image] = await Promise.all([
    deps.instances.list(funko),
    deps.docker.images.inspectOrNull(latestImage(funko)),
  ]);
  const drainSeconds = Math.ceil(drainMs(settingsFromLabels(image?.Config.Labels)) / 1000);
  // Newest first: the listing's order; of the latest image first; warm spares last (they are removed).
  const ordered = [...instances].sort((a, b) =>
    Number(!!a.spare) - Number(!!b.spare) || Number(b.imageId === image?.Id) - Number(a.imageId === image?.Id)
  );
  const [kept, ...others] = ordered;
  await Promise.all([
    ...(kept && !isStopped(kept) ? [deps.instances.stop(kept, drainSeconds)] : []),
    ...others.map((instance) => deps.instances.remove(instance, drainSeconds)),
  ]);
  return { kept, removed: others };
}

/**
 * Brings a sleeping funko back: thaws its paused instances; without any,
 * starts its newest stopped one (of the latest image first); without any
 * either (someone removed them, or the backend keeps none), creates one.
 * A funko that is a service (a swarm) is scaled back to 1 (or to what it
 * asks for, when more), which waits until its tasks serve: seconds, not the
 * milliseconds of a thaw.
 */
export async function wakeInstances(deps: LifecycleDeps, funko: string, signal?: AbortSignal): Promise<Woken> {
  const service = deps.instances.service;
  if (service) {
    // Without a service (removed by hand), scale creates it from the latest image, as a container wake would.
    await service.scale(funko, Math.max(1, (await service.desired(funko, signal)) ?? 0), silent);
    const serving = (await deps.instances.list(funko, signal)).filter((instance) => instance.state === "running");
    return { kind: "create", instances: serving };
  }
  const all = await deps.instances.list(funko, signal);
  const instances = all.filter((instance) => !instance.spare);
  const paused = instances.filter((instance) => instance.state === "paused");
  if (paused.length > 0) {
    await Promise.all(paused.map((instance) => deps.instances.unpause(instance, signal)));
    // A pause keeps the address: no second look at the engine before the probe (it cost ~10 ms of a ~50 ms wake).
    const thawed = paused.map((instance): Instance => ({ ...instance, state: "running" }));
    return { kind: "unpause", instances: await fresh(deps, thawed, signal, { unlessAddressed: true }) };
  }
  // No instance of its own is paused, but a warm spare is: taking it is a thaw too.
  const spare = all.find((instance) => instance.spare && instance.state === "paused");
  if (spare && deps.instances.takeSpare) {
    const taken = await deps.instances.takeSpare(spare, signal);
    return { kind: "unpause", instances: await fresh(deps, [taken], signal, { unlessAddressed: true }) };
  }
  const image = await deps.docker.images.inspectOrNull(latestImage(funko), signal);
  const stopped = instances.filter(isStopped)
    .sort((a, b) => Number(b.imageId === image?.Id) - Number(a.imageId === image?.Id));
  if (stopped[0]) {
    await deps.instances.start(stopped[0], signal);
    return { kind: "start", instances: await fresh(deps, [stopped[0]], signal) };
  }
  if (!image) throw notFound(`Cannot wake ${funko}: it has no instance and there is no image ${latestImage(funko)}`);
  return { kind: "create", instances: [await deps.instances.create(funko, signal)] };
}

/**
 * The instances as the engine reports them now (their address after a start);
 * with `unlessAddressed`, those whose address is known already are kept as
 * they are.
 */
async function fresh(
  deps: LifecycleDeps,
  instances: Instance[],
  signal?: AbortSignal,
  options: { unlessAddressed?: boolean } = {},
): Promise<Instance[]> {
  const now = await Promise.all(
    instances.map((instance) =>
      options.unlessAddressed && instance.address ? instance : deps.instances.get(instance.id, signal)
    ),
  );
  return now.filter((instance): instance is Instance => instance !== null);
}

/**
 * Probes an instance until it is ready (its health path answers, or its port
 * accepts connections: core/probe.ts), a few milliseconds apart at first.
 * Resolves with the last result: not ready after `timeoutMs` or on abort.
 * Docker's healthcheck is not awaited: it marks a paused instance unhealthy
 * and says healthy again only at its next run, seconds later.
 */
export async function waitReady(
  deps: Pick<LifecycleDeps, "instances">,
  instance: Instance,
  timeoutMs: number,
  signal?: AbortSignal,
): Promise<{ result: ProbeResult; instance: Instance }> {
  const deadline = Date.now() + timeoutMs;
  let delay = 2;
  let current = instance;
  let result: ProbeResult = { ready: false, reason: "not probed yet" };
  while (!signal?.aborted) {
    if (!current.address) {
      // Started just now: its address comes with the engine's next look.
      current = await deps.instances.get(current.id, signal) ?? current;
    }
    result = await probe(current, { signal, timeoutMs: Math.max(1, Math.min(1000, deadline - Date.now())) });
    if (result.ready || Date.now() >= deadline) break;
    await new Promise((resolve) => setTimeout(resolve, delay));
    delay = Math.min(delay * 1.5, 50);
  }
  return { result, instance: current };
}

/** What `faaso sleep` and `faaso wake` did. */
export interface SleepResult {
  /** The funko. */
  funko: string;
  /** Its state now. */
  state: "awake" | SleepDepth;
  /** The instances it touched. */
  instances: string[];
}

/**
 * `faaso sleep NAME` in local mode: pauses the funko's running instances (with
 * `stop`, or where the backend cannot pause, stops them), and records that it
 * sleeps on purpose.
 */
export async function sleepFunko(
  deps: LifecycleDeps,
  states: SleepStates,
  funko: string,
  options: { stop?: boolean } = {},
  progress: Progress = silent,
): Promise<SleepResult> {
  const instances = (await deps.instances.list(funko)).filter((instance) => !instance.spare);
  if (instances.length === 0) {
    throw notFound(`Cannot put ${funko} to sleep: it has no instances (faaso up ${funko} starts it)`);
  }
  const running = instances.filter((instance) => instance.state === "running");
  let depth: SleepDepth;
  if (options.stop || !capabilitiesOf(deps.instances).pause) {
    progress({ kind: "step", text: `Stopping ${funko}: its newest instance is kept stopped, the others removed` });
    await stopInstances(deps, funko);
    depth = "stopped";
  } else if (running.length > 0) {
    progress({ kind: "step", text: `Pausing ${running.map((instance) => instance.name).join(", ")}` });
    depth = await pauseInstances(deps, running);
  } else {
    depth = instances.some((instance) => instance.state === "paused") ? "paused" : "stopped";
  }
  await states.set(funko, depth);
  const touched = options.stop ? instances : running;
  return { funko, state: depth, instances: touched.map((instance) => instance.name) };
}

/**
 * `faaso wake NAME` in local mode: thaws or starts an instance, waits until it
 * answers its probe, and records that the funko is awake.
 */
export async function wakeFunko(
  deps: LifecycleDeps,
  states: SleepStates,
  funko: string,
  timeoutMs = 30_000,
  progress: Progress = silent,
): Promise<SleepResult> {
  const instances = (await deps.instances.list(funko)).filter((instance) => !instance.spare);
  if (instances.some((instance) => instance.state === "running") && !instances.some((i) => i.state === "paused")) {
    await states.set(funko, null);
    return { funko, state: "awake", instances: [] };
  }
  const woken = await wakeInstances(deps, funko);
  const verb = { unpause: "Unpaused", start: "Started", create: "Created" }[woken.kind];
  progress({ kind: "step", text: `${verb} ${woken.instances.map((instance) => instance.name).join(", ")}` });
  await states.set(funko, null);
  const first = woken.instances[0];
  if (first) {
    const { result } = await waitReady(deps, first, timeoutMs);
    if (!result.ready) {
      throw new FaasoError(
        `Cannot wake ${funko}: ${first.name} is not ready after ${timeoutMs / 1000} s (${result.reason})`,
      );
    }
    progress({ kind: "step", text: `${first.name} answers` });
  }
  return { funko, state: "awake", instances: woken.instances.map((instance) => instance.name) };
}

/** "2 instances paused": a sleep result in words. */
export function sleepResultText(result: SleepResult): string {
  if (result.state === "awake") {
    return result.instances.length
      ? `${result.funko} is awake: ${result.instances.join(", ")}`
      : `${result.funko} is awake`;
  }
  return `${result.funko} sleeps (${result.state}): ${counted(result.instances.length, "instance")} ${result.state}`;
}

/** The first of the instances to answer its probe; the last reason when none does in time. */
export async function firstReady(
  deps: Pick<LifecycleDeps, "instances">,
  instances: Instance[],
  timeoutMs: number,
): Promise<{ instance?: Instance; reason: string }> {
  if (instances.length === 0) return { reason: "no instance came back" };
  const stop = new AbortController();
  const looks = instances.map((instance) =>
    waitReady(deps, instance, timeoutMs, stop.signal).then((look) => {
      if (!look.result.ready) throw new Error(`${instance.name}: ${look.result.reason}`);
      return look.instance;
    })
  );
  try {
    return { instance: await Promise.any(looks), reason: "" };
  } catch (error) {
    const reasons = (error as AggregateError).errors.map((inner) => (inner as Error).message);
    return { reason: `not ready after ${timeoutMs / 1000} s (${reasons.join("; ")})` };
  } finally {
    stop.abort();
  }
}
