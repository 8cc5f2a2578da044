/**
 * `faaso up`, `down` and `scale`: bring a funko to a number of running
 * instances. Docker is the source of truth: the count is whatever containers
 * exist when we look.
 *
 * @module
 */
import type { Docker, ImageInspect } from "../docker/mod.ts";
import { FaasoError, notFound } from "./errors.ts";
import type { Instance, InstanceBackend } from "./instances.ts";
import { drainMs, MAX_SCALE, settingsFromLabels } from "./manifest.ts";
import { foreignLatestNote, LABELS, latestImage } from "./names.ts";
import { initialScale } from "./scaling.ts";
import { type Progress, silent } from "./progress.ts";
import { DEFAULT_WAIT_MS, lastLines, waitHealthy } from "./wait.ts";
import { counted } from "./words.ts";

/** What a scale operation did. */
export interface ScaleResult {
  /** The funko. */
  funko: string;
  /** Running instances before. */
  before: number;
  /** Running instances after. */
  after: number;
  /** Instances created or started. */
  started: string[];
  /** Instances stopped and removed. */
  removed: string[];
}

/** The lifecycle core's dependencies. */
export interface LifecycleDeps {
  /** The engine. */
  docker: Docker;
  /** Where instances come from. */
  instances: InstanceBackend;
  /** Where builds are pushed and nodes pull from (swarm mode). */
  registry?: string;
  /**
   * Reports when retiring instances have no request in flight. The server
   * knows (its routing table counts them); without it, a short notice lets
   * other proxies see the retirement before the instances get SIGTERM.
   */
  drain?: DrainHook;
}

/** Whether an instance counts towards the funko's scale (a warm spare does not, until taken). */
export function isLive(instance: Instance): boolean {
  if (instance.spare) return false;
  return instance.state === "running" || instance.state === "restarting" || instance.state === "created" ||
    instance.state === "paused";
}

/** The number of live instances of a funko. */
export async function currentScale(deps: LifecycleDeps, funko: string): Promise<number> {
  return (await deps.instances.list(funko)).filter(isLive).length;
}

/**
 * Brings `funko` to exactly `target` running instances. Stopped instances of
 * the latest image are brought back before new ones are created (started, or
 * replaced when the engine will not start them: `InstanceBackend.repair`),
 * and new ones are waited for as a deploy does (see {@linkcode StartOptions});
 * when shrinking, out-of-date and unhealthy instances go first, retired and
 * drained as in a deploy. Stopped leftovers (of an older image, or retired
 * by a deploy that stopped half-way) are removed, so afterwards every
 * instance is running.
 */
export async function scale(
  deps: LifecycleDeps,
  funko: string,
  target: number,
  progress: Progress = silent,
  options: StartOptions = {},
): Promise<ScaleResult> {
  if (!Number.isInteger(target) || target < 0 || target > MAX_SCALE) {
    throw new FaasoError(`Cannot scale ${funko} to ${target}: use a whole number from 0 to ${MAX_SCALE}`);
  }
  // A swarm keeps the count itself (replicas).
  if (deps.instances.service) return await deps.instances.service.scale(funko, target, progress, options);
  const instances = await deps.instances.list(funko);
  const image = await deps.docker.images.inspectOrNull(latestImage(funko));
  if (!image && (target > 0 || instances.length === 0)) {
    throw notFound(
      target > 0
        ? `Cannot run ${funko}: there is no image ${latestImage(funko)} (build it with faaso build FOLDER)`
        : `No funko named ${funko}: there is no image ${latestImage(funko)} and no instance of it`,
    );
  }
  const live = instances.filter(isLive);
  const stopped = instances.filter((instance) => !isLive(instance) && !instance.spare);
  // Warm spares stay while the funko runs and they are of its latest image and not stopped; else they go.
  const staleSpares = instances.filter((instance) =>
    instance.spare &&
    (target === 0 || instance.imageId !== image?.Id || instance.state === "exited" || instance.state === "dead")
  );
  const result: ScaleResult = { funko, before: live.length, after: live.length, started: [], removed: [] };

  const missing = target - live.length;
  if (missing > 0 && image) warnIfForeign(image, funko, progress);
  const wanted = await notRetiring(deps, stopped.filter((instance) => instance.imageId === image?.Id));
  const restartable = wanted.slice(0, Math.max(missing, 0));
  const fresh: Instance[] = [];
  for (const instance of restartable) {
    progress({ kind: "step", text: `Starting ${instance.name}` });
    const repair = await deps.instances.repair(instance);
    if (repair.replaced) {
      progress({
        kind: "step",
        text: `Replaced ${instance.name} by ${repair.instance.name}: it could not start (${repair.replaced})`,
      });
    }
    fresh.push(repair.instance);
  }
  const toCreate = Math.max(missing - restartable.length, 0);
  if (toCreate > 0) {
    progress({ kind: "step", text: `Creating ${counted(toCreate, "instance")} of ${funko}` });
    const created = await Promise.allSettled(Array.from({ length: toCreate }, () => deps.instances.create(funko)));
    for (const outcome of created) {
      if (outcome.status === "fulfilled") {
        progress({ kind: "step", text: `Started ${outcome.value.name}` });
        fresh.push(outcome.value);
      }
    }
    const failure = created.find((outcome) => outcome.status === "rejected");
    if (failure) {
      await Promise.all(fresh.map((instance) => deps.instances.remove(instance, 0)));
      throw (failure as PromiseRejectedResult).reason;
    }
  }
  result.started = fresh.map((instance) => instance.name);
  if (fresh.length > 0 && options.wait !== false) {
    await waitForStart(deps, funko, fresh, live.length, options, progress);
  }

  const surplus = [...live].sort(removalOrder(image?.Id)).slice(0, Math.max(live.length - target, 0));
  const leftovers = [
    ...stopped.filter((instance) => !restartable.some((started) => started.id === instance.id)),
    ...staleSpares,
  ];
  for (const instance of [...surplus, ...leftovers]) progress({ kind: "step", text: `Removing ${instance.name}` });
  await Promise.all([
    retireAndRemove(deps, surplus, drainMs(settingsFromLabels(image?.Config.Labels))),
    ...leftovers.map((instance) => deps.instances.remove(instance, 0)),
  ]);
  result.removed.push(...[...surplus, ...leftovers].map((instance) => instance.name));
  result.after = live.length + result.started.length - surplus.length;
  return result;
}

/** Options for starting instances: {@linkcode up} and {@linkcode scale}. */
export interface StartOptions {
  /** Wait until new instances are healthy (default true), failing if one is not. */
  wait?: boolean;
  /** How long they get. Default 120 s. */
  timeoutMs?: number;
}

/**
 * Waits for instances just started, as a deploy does; when one crashes, stops
 * or turns unhealthy, they are all removed again (those that ran before stay)
 * and the error shows the failing one's last lines.
 */
async function waitForStart(
  deps: LifecycleDeps,
  funko: string,
  fresh: Instance[],
  before: number,
  options: StartOptions,
  progress: Progress,
): Promise<void> {
  const timeoutMs = options.timeoutMs ?? DEFAULT_WAIT_MS;
  progress({
    kind: "step",
    text: `Waiting for ${fresh.map((i) => i.name).join(", ")} to become healthy (up to ${timeoutMs / 1000} s)`,
  });
  const problem = await waitHealthy(deps, fresh, timeoutMs);
  if (!problem) return;
  const details = await lastLines(deps, problem.instance);
  progress({ kind: "step", text: `Removing ${counted(fresh.length, "new instance")}` });
  await Promise.all(fresh.map((instance) => deps.instances.remove(instance, 0)));
  const kept = before === 0
    ? ""
    : before === 1
    ? "; the instance that ran before keeps running"
    : `; the ${before} instances that ran before keep running`;
  const removed = fresh.length === 1 ? "it was removed" : `the ${fresh.length} new instances were removed`;
  throw new FaasoError(
    `Cannot start ${funko}: ${problem.instance.name} ${problem.reason}, so ${removed}${kept}`,
    {
      status: 409,
      code: "start_failed",
      details: details.length ? [`last lines of ${problem.instance.name}:`, ...details] : [],
    },
  );
}

/** Warns when `faaso-NAME:latest` is not a FaaSO build (a `docker build -t faaso-NAME` replaced it). */
export function warnIfForeign(image: ImageInspect, funko: string, progress: Progress): void {
  if (image.Config.Labels?.[LABELS.funko] === funko) return;
  progress({ kind: "warning", text: foreignLatestNote(funko) });
}

/** How long proxies get to see that instances retire, when no drain hook reports it. */
export const RETIRE_NOTICE_MS = 1000;

/** Reports when retiring instances have finished their requests (the server's routing table knows). */
export type DrainHook = (instances: Instance[], drainMs: number) => Promise<void>;

/**
 * Takes running instances out of service without losing a request: retire
 * them (every proxy stops sending new requests), wait until they are drained
 * (`drain` reports it, else a short notice), then stop them with `drainMs` to
 * finish and remove them.
 */
export async function retireAndRemove(deps: LifecycleDeps, instances: Instance[], drainMs: number): Promise<void> {
  if (instances.length === 0) return;
  await Promise.all(instances.map((instance) => deps.instances.retire(instance)));
  if (deps.drain) await deps.drain(instances, drainMs);
  else await new Promise((resolve) => setTimeout(resolve, Math.min(RETIRE_NOTICE_MS, drainMs)));
  await Promise.all(instances.map((instance) => deps.instances.remove(instance, Math.ceil(drainMs / 1000))));
}

/**
 * `faaso up`: the funko's instances running, as many as there are (those
 * stopped by an engine crash or by hand come back, started or replaced);
 * with none, its initial scale (funko.yml `scale`, or its `min`, at least 1).
 */
export async function up(
  deps: LifecycleDeps,
  funko: string,
  progress: Progress = silent,
  options: StartOptions = {},
): Promise<ScaleResult> {
  const service = deps.instances.service;
  // A swarm service asks for its replicas itself; containers count as many as run or should (not retiring).
  const desired = service ? (await service.desired(funko)) ?? 0 : await containersDesired(deps, funko);
  const image = await deps.docker.images.inspectOrNull(latestImage(funko));
  return await scale(deps, funko, desired || initialScale(settingsFromLabels(image?.Config.Labels)), progress, options);
}

/** How many containers run or should: the live ones and the stopped ones that are not retiring (spares aside). */
async function containersDesired(deps: LifecycleDeps, funko: string): Promise<number> {
  const instances = (await deps.instances.list(funko)).filter((instance) => !instance.spare);
  const stopped = await notRetiring(deps, instances.filter((instance) => !isLive(instance)));
  return instances.filter(isLive).length + stopped.length;
}

/**
 * Those of the stopped instances that are not retiring (a deploy or scale-down
 * on its way), read again one by one: a listing cannot tell.
 */
export async function notRetiring(
  deps: LifecycleDeps,
  stopped: Instance[],
  signal?: AbortSignal,
): Promise<Instance[]> {
  const read = await Promise.all(stopped.map((instance) => deps.instances.get(instance.id, signal)));
  return read.filter((instance): instance is Instance => instance !== null && !instance.retiring);
}

/** `faaso down`: no instances. */
export function down(deps: LifecycleDeps, funko: string, progress: Progress = silent): Promise<ScaleResult> {
  return scale(deps, funko, 0, progress);
}

/** Which instances to remove first: out of date, then not healthy, then the newest. */
function removalOrder(latestId: string | undefined): (a: Instance, b: Instance) => number {
  const rank = (instance: Instance) =>
    (instance.imageId !== latestId ? 0 : 2) + (instance.health === "healthy" || instance.health === "none" ? 1 : 0);
  return (a, b) => rank(a) - rank(b) || b.created.getTime() - a.created.getTime();
}
