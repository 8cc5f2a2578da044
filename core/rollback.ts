/**
 * `faaso rollback NAME [TAG]`: an earlier build deployed the way every build
 * is, with no request lost. `latest` is moved to that build first (it is
 * what instances run, and what status compares them with); if the deploy
 * fails, it is moved back and the running instances stay as they were.
 *
 * @module
 */
import { isBuildTag, newestBuildTag, repoTags } from "./builds.ts";
import { deploy, type DeployOptions, type DeployResult } from "./deploy.ts";
import { FaasoError, notFound } from "./errors.ts";
import { imageRepo, LATEST } from "./names.ts";
import { type Progress, silent } from "./progress.ts";
import type { LifecycleDeps } from "./scale.ts";

/** Options for {@linkcode rollback}. */
export interface RollbackOptions extends DeployOptions {
  /** The build to go back to: its timestamp tag or (a prefix of) its image ID. Default: the one before `latest`. */
  tag?: string;
}

/** What a rollback did: a deploy's result (`tag` is the build now at `latest`), and where `latest` was. */
export interface RollbackResult extends DeployResult {
  /** The build `latest` named before (`faaso-NAME:TIME`), when it was one. */
  previous?: string;
}

/** Moves `latest` to an earlier build of `funko` and deploys it. */
export async function rollback(
  deps: LifecycleDeps,
  funko: string,
  options: RollbackOptions = {},
  progress: Progress = silent,
): Promise<RollbackResult> {
  const repo = imageRepo(funko);
  const images = await deps.docker.images.list({ reference: [repo] });
  const builds = images.filter((image) => repoTags(image, funko).some(isBuildTag))
    .map((image) => ({ image, stamp: newestBuildTag(repoTags(image, funko))! }))
    .sort((a, b) => b.stamp.localeCompare(a.stamp));
  if (builds.length === 0) throw notFound(`Cannot roll back ${funko}: there is no build of it (${repo}:TIME)`);
  const current = images.find((image) => repoTags(image, funko).includes(LATEST));
  const currentBuild = builds.find((build) => build.image.Id === current?.Id);
  const known = builds.map((build) => build.stamp).join(", ");
  let target;
  if (options.tag) {
    const wanted = options.tag.replace(/^sha256:/, "");
    target = builds.find((build) => repoTags(build.image, funko).includes(wanted)) ??
      (/^[0-9a-f]{6,64}$/.test(wanted)
        ? builds.find((build) => build.image.Id.slice(7).startsWith(wanted))
        : undefined);
    if (!target) throw notFound(`Cannot roll back ${funko} to ${options.tag}: no such build (the builds are ${known})`);
  } else {
    target = currentBuild ? builds.find((build) => build.stamp < currentBuild.stamp) : builds[0];
    if (!target) {
      throw new FaasoError(
        `Cannot roll back ${funko}: ${repo}:${currentBuild!.stamp} is its oldest build (the builds are ${known})`,
        { status: 409, code: "no_earlier_build" },
      );
    }
  }
  if (target.image.Id !== current?.Id) {
    const was = currentBuild ? `${repo}:${currentBuild.stamp}` : current ? "an image FaaSO did not build" : "nothing";
    progress({ kind: "step", text: `Moving ${repo}:${LATEST} to ${repo}:${target.stamp} (it was ${was})` });
    await deps.docker.images.tag(target.image.Id, repo, LATEST);
  }
  try {
    const result = await deploy(deps, funko, options, progress);
    return { ...result, ...(currentBuild ? { previous: `${repo}:${currentBuild.stamp}` } : {}) };
  } catch (error) {
    if (current && current.Id !== target.image.Id) {
      await deps.docker.images.tag(current.Id, repo, LATEST);
      progress({ kind: "step", text: `Moved ${repo}:${LATEST} back to where it was` });
    }
    throw error;
  }
}
