/**
 * `faaso status`: what Docker says about each funko, its images and its
 * instances, and whether the instances run the latest image.
 *
 * @module
 */
import type { ImageSummary } from "../docker/mod.ts";
import { notFound } from "./errors.ts";
import { type FunkoSettings, settingsFromLabels } from "./manifest.ts";
import type { Instance } from "./instances.ts";
import { repoTags } from "./builds.ts";
import { funkoImageFilters, imageRepo, LABELS, LATEST, latestImage } from "./names.ts";
import { isLive, type LifecycleDeps } from "./scale.ts";
import type { CallCounts } from "./call_store.ts";
import type { ScheduleStatus } from "./schedule.ts";
import type { SleepRecord } from "./sleep_state.ts";

/** One build of a funko. */
export interface ImageStatus {
  /** Image ID. */
  id: string;
  /** Its tags without the repository: the timestamp, and `latest` for the newest. */
  tags: string[];
  /** When it was built. */
  created: string;
  /** Its size in bytes. */
  size: number;
  /**
   * True for an image at `faaso-NAME:latest` that FaaSO did not build (no
   * `faaso.funko` label: a `docker build -t faaso-NAME` by hand).
   */
  foreign?: boolean;
}

/** An instance, and whether it runs the funko's latest image. */
export interface InstanceStatus extends Omit<Instance, "created"> {
  /** When it was created (ISO 8601). */
  created: string;
  /** True when it runs an image older than `latest`. */
  outOfDate: boolean;
}

/** Where a funko is in its sleep: awake, or asleep (paused, stopped), or on the way. */
export type ActivityState = "awake" | "waking" | "pausing" | "paused" | "stopping" | "stopped";

/** A funko's activity: asleep or awake, its last request, the autoscaler's target. */
export interface FunkoActivity {
  /** Asleep or awake. */
  state: ActivityState;
  /** Since when (ISO 8601), when known. */
  since: string | null;
  /** The last request the proxy saw (ISO 8601); null when none since it started, or no proxy says. */
  lastRequest: string | null;
  /** Requests in flight or held now; null when no proxy says. */
  inFlight: number | null;
  /** The autoscaler's current target; null when the funko does not autoscale (or no proxy says). */
  target: number | null;
  /** Whether the autoscaler is panicking (a burst: it does not scale down). */
  panicking: boolean;
  /** Warm spares paused and ready for the autoscaler to take (a proxy says; `scale.warm`). */
  spares?: number;
  /**
   * Who says: the proxy (`faaso serve`, which sees the requests), or this
   * machine's engine alone (local mode: only whether instances are paused or
   * stopped, and nothing sleeps or autoscales by itself).
   */
  source: "proxy" | "engine";
  /** Local mode: whether a `faaso serve` answered at this machine's proxy URL (it may watch the funko). */
  watched?: boolean;
}

/** The activity as the engine alone shows it: paused when every live instance is, stopped when recorded so. */
export function engineActivity(instances: Pick<Instance, "state">[], record: SleepRecord | undefined): FunkoActivity {
  const running = instances.some((instance) => instance.state === "running");
  const paused = instances.some((instance) => instance.state === "paused");
  const state = !running && paused ? "paused" : !running && record?.depth === "stopped" ? "stopped" : "awake";
  return {
    state,
    since: state !== "awake" ? record?.since ?? null : null,
    lastRequest: null,
    inFlight: null,
    target: null,
    panicking: false,
    source: "engine",
  };
}

/** The state of one funko. */
export interface FunkoStatus {
  /** The funko's name. */
  name: string;
  /** The runtime its latest image was built from. */
  runtime: string;
  /** The image its latest image was made from, for an image funko (funko.yml's `image:`); else empty. */
  image: string;
  /** Running instances. */
  scale: number;
  /** How instances of the latest image run: env, limits, default scale, drain, healthcheck. */
  settings: FunkoSettings;
  /** The latest image, if there is one. */
  latest: ImageStatus | null;
  /** Every build still present, newest first. */
  images: ImageStatus[];
  /** Instances, newest first. */
  instances: InstanceStatus[];
  /** Its async calls by state (added where the call store is at hand: the server, local mode). */
  calls?: CallCounts | null;
  /** Its schedule entries with next and last run (added with `calls`). */
  schedules?: ScheduleStatus[];
  /** Asleep or awake, last request, autoscaler's target (added by the server, or from the engine in local mode). */
  activity?: FunkoActivity;
}

/**
 * Reports every funko (those with images or instances), or only `name`, in
 * which case an unknown name is an error.
 */
export async function status(deps: LifecycleDeps, name?: string): Promise<FunkoStatus[]> {
  const [images, listed] = await Promise.all([
    deps.docker.images.list(funkoImageFilters(name)),
    deps.instances.list(name),
  ]);
  const names = new Set<string>();
  for (const image of images) names.add(image.Labels?.[LABELS.funko] ?? "");
  for (const instance of listed) names.add(instance.funko);
  names.delete("");
  if (name && !names.has(name)) {
    throw notFound(`No funko named ${name}: there is no image ${imageRepo(name)} and no instance of it`);
  }
  // Read one by one, instances say how often they restarted and how their last run ended.
  const instances = await Promise.all(
    listed.map(async (instance) => ({ ...instance, ...await deps.instances.get(instance.id) ?? {} })),
  );
  return await Promise.all(
    [...names].sort().map(async (funko) => {
      const own = images.filter((image) => image.Labels?.[LABELS.funko] === funko && hasRepo(image, funko))
        .sort((a, b) => b.Created - a.Created);
      const labelled = own.find((image) => image.RepoTags?.includes(`${imageRepo(funko)}:${LATEST}`));
      const latest = labelled ? toImageStatus(labelled, funko) : await foreignLatest(deps, funko);
      const funkoInstances = instances.filter((instance) => instance.funko === funko);
      return {
        name: funko,
        runtime: labelled?.Labels?.[LABELS.runtime] ?? "",
        image: labelled?.Labels?.[LABELS.image] ?? "",
        settings: settingsFromLabels(labelled?.Labels),
        scale: funkoInstances.filter(isLive).length,
        latest,
        images: own.map((image) => toImageStatus(image, funko)),
        instances: funkoInstances.map(({ secretsFolder: _, ...instance }) => ({
          ...instance,
          created: instance.created.toISOString(),
          outOfDate: latest !== null && instance.imageId !== latest.id,
        })),
      };
    }),
  );
}

/** `faaso-NAME:latest` when it is an image FaaSO did not build, else null. */
async function foreignLatest(deps: LifecycleDeps, funko: string): Promise<ImageStatus | null> {
  const image = await deps.docker.images.inspectOrNull(latestImage(funko));
  if (!image) return null;
  return {
    id: image.Id,
    tags: repoTags(image, funko).sort().reverse(),
    created: image.Created,
    size: image.Size,
    foreign: image.Config.Labels?.[LABELS.funko] !== funko,
  };
}

function hasRepo(image: ImageSummary, funko: string): boolean {
  return (image.RepoTags ?? []).some((tag) => tag.startsWith(`${imageRepo(funko)}:`));
}

function toImageStatus(image: ImageSummary, funko: string): ImageStatus {
  const prefix = `${imageRepo(funko)}:`;
  return {
    id: image.Id,
    tags: (image.RepoTags ?? []).filter((tag) => tag.startsWith(prefix)).map((tag) => tag.slice(prefix.length)).sort()
      .reverse(),
    created: new Date(image.Created * 1000).toISOString(),
    size: image.Size,
  };
}
