/**
 * `faaso deploy`: every instance of a funko onto its newest image, with no
 * request lost. New instances start beside the old ones; once all are healthy,
 * traffic moves to them, the old ones drain (finish what they are doing) and
 * go. If the new ones do not become healthy, they go and the old ones stay.
 *
 * @module
 */
import { FaasoError, notFound } from "./errors.ts";
import { drainMs, settingsFromLabels } from "./manifest.ts";
import type { Instance } from "./instances.ts";
import { buildTag, latestImage } from "./names.ts";
import { DEFAULT_WAIT_MS, lastLines, waitHealthy } from "./wait.ts";
import { type Progress, silent } from "./progress.ts";
import { initialScale } from "./scaling.ts";
import { isLive, type LifecycleDeps, retireAndRemove, warnIfForeign } from "./scale.ts";
import { counted } from "./words.ts";

/** Options for {@linkcode deploy}. */
export interface DeployOptions {
  /** How long new instances get to become healthy. Default 120 s. */
  timeoutMs?: number;
  /** Replace instances even when they already run the newest image. */
  force?: boolean;
}

/** What a deploy did. */
export interface DeployResult {
  /** The funko. */
  funko: string;
  /** The image now running (ID). */
  image: string;
  /** Its newest build tag, as status shows it: `faaso-NAME:20261129T133316Z`. */
  tag: string;
  /** Instances started. */
  started: string[];
  /** Instances drained and removed. */
  removed: string[];
}

/** Rolls `funko` onto its newest image. */
export async function deploy(
  deps: LifecycleDeps,
  funko: string,
  options: DeployOptions = {},
  progress: Progress = silent,
): Promise<DeployResult> {
  // A swarm rolls out (and back) itself: a service update.
  if (deps.instances.service) return await deps.instances.service.deploy(funko, options, progress);
  const image = await deps.docker.images.inspectOrNull(latestImage(funko));
  if (!image) throw notFound(`Cannot deploy ${funko}: there is no image ${latestImage(funko)} (build it first)`);
  warnIfForeign(image, funko, progress);
  const settings = settingsFromLabels(image.Config.Labels);
  const existing = await deps.instances.list(funko);
  const old = existing.filter(isLive);
  // Stopped instances of an older image would come back at the next start, and warm spares would serve it when
  // taken: they go with the old ones (the proxy makes new spares).
  const leftovers = existing.filter((instance) => !isLive(instance));
  const result: DeployResult = {
    funko,
    image: image.Id,
    tag: buildTag(image.RepoTags, funko),
    started: [],
    removed: [],
  };
  if (!options.force && old.length > 0 && old.every((instance) => instance.imageId === image.Id)) {
    progress({ kind: "step", text: `Every instance of ${funko} already runs the newest image` });
    return result;
  }
  const count = old.length || initialScale(settings);
  const tag = buildTag(image.RepoTags, funko);
  progress({ kind: "step", text: `Starting ${counted(count, "new instance")} of ${tag}` });

  const created = await Promise.allSettled(Array.from({ length: count }, () => deps.instances.create(funko)));
  const fresh = created.flatMap((outcome) => outcome.status === "fulfilled" ? [outcome.value] : []);
  const failed = created.find((outcome) => outcome.status === "rejected");
  if (failed) {
    await removeAll(deps, fresh, 0);
    throw failed.reason;
  }
  result.started = fresh.map((instance) => instance.name);

  const timeoutMs = options.timeoutMs ?? DEFAULT_WAIT_MS;
  progress({
    kind: "step",
    text: `Waiting for ${result.started.join(", ")} to become healthy (up to ${timeoutMs / 1000} s)`,
  });
  const problem = await waitHealthy(deps, fresh, timeoutMs);
  if (problem) {
    const details = await lastLines(deps, problem.instance);
    progress({ kind: "step", text: `Removing the new instances` });
    await removeAll(deps, fresh, 0);
    throw new FaasoError(
      `Cannot deploy ${funko}: ${problem.instance.name} ${problem.reason}; ${await oldInstancesNote(deps, old)}`,
      {
        status: 409,
        code: "deploy_failed",
        details: details.length ? [`last lines of ${problem.instance.name}:`, ...details] : [],
      },
    );
  }

  const drain = drainMs(settings);
  if (old.length > 0) {
    progress({
      kind: "step",
      text: `New instances healthy; draining ${counted(old.length, "old one")} (up to ${settings.drain})`,
    });
    await Promise.all([
      retireAndRemove(deps, old, drain),
      ...leftovers.map((instance) => deps.instances.remove(instance, 0)),
    ]);
    result.removed = old.map((instance) => instance.name);
  }
  progress({ kind: "step", text: `Deployed ${tag}: ${counted(count, "instance")}` });
  return result;
}

/** What the instances that ran before a failed deploy are doing now: serving, or not either. */
export async function oldInstancesNote(deps: LifecycleDeps, old: Instance[]): Promise<string> {
  if (old.length === 0) return "no instance ran before the deploy";
  const now = await Promise.all(old.map((instance) => deps.instances.get(instance.id)));
  const serving =
    now.filter((instance) =>
      instance?.state === "running" && (instance.health === "healthy" || instance.health === "none")
    ).length;
  if (serving === old.length) return "the old instances keep serving";
  const states = [...new Set(now.map((instance) => instance ? `${instance.state} ${instance.health}` : "gone"))];
  const what = `(${states.map((state) => state.replace(/ none$/, "")).join(", ")})`;
  if (serving === 0) return `the old instances are not serving either ${what}`;
  return `${serving} of ${counted(old.length, "old instance")} keep serving, the others do not ${what}`;
}

async function removeAll(deps: LifecycleDeps, instances: Instance[], timeoutSeconds: number): Promise<void> {
  await Promise.all(instances.map((instance) => deps.instances.remove(instance, timeoutSeconds)));
}
