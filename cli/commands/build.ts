/**
 * `faaso build FOLDER...`: funko folders become images.
 *
 * @module
 */
import { type Command, Option } from "@commander-js/extra-typings";
import { FaasoError } from "../../core/errors.ts";
import type { BuildResult } from "../../core/build.ts";
import { BUILD_SETTING_FLAGS, checkBuildSettings } from "../../core/build_settings.ts";
import type { CliContext } from "../context.ts";
import { deployTimeout, runDeploy } from "./deploy.ts";

/** Adds `build` to the program. */
export function buildCommand(program: Command, ctx: CliContext): void {
  program.command("build")
    .summary("build funko folders into images")
    .description(
      "Build each funko FOLDER into the image faaso-NAME, tagged with its UTC build time and, once the " +
        "build succeeded, latest. A failed build leaves latest where it was, and no image behind; its error ends " +
        "with the failing step's output. An unchanged funko gives the same image and no new tag. Builds beyond the " +
        "newest few (5 unless set otherwise: see faaso prune) are removed. A funko whose funko.yml names " +
        "an image: gets that image (the engine's copy, else pulled), labelled as FaaSO's.",
    )
    .argument("<folders...>", "funko folders (each with a funko.yml)")
    .addHelpText(
      "after",
      "\nExamples:\n  faaso build hello\n  cd hello && faaso build .\n  faaso build hello --deploy\n",
    )
    .option("--no-cache", "do not use Docker's layer cache")
    .addOption(
      new Option("--build-arg <KEY=VALUE>", "a Docker build argument (repeatable)")
        .argParser((value, previous: Record<string, string> = {}) => ({ ...previous, ...parseBuildArg(value) })),
    )
    .option(
      "--github-mirror <url>",
      "fetch what the build downloads from github.com from this mirror (the build argument GITHUB_MIRROR; " +
        "local default: env FAASO_GITHUB_MIRROR; on a server: its own setting)",
    )
    .option(
      "--build-network <name>",
      "the network the build's RUN steps join, e.g. where the mirror answers by name " +
        "(local default: env FAASO_BUILD_NETWORK; on a server: its own setting)",
    )
    .option("--name <name>", "build under this name instead of funko.yml's")
    .option("--no-runtime", "build the folder as it is, with its own Dockerfile")
    .option("--pull", "pull an image funko's image even when the engine has it (a moved tag such as latest)")
    .option("-q, --quiet", "do not show the engine's build output")
    .option("--deploy", "then deploy each funko built (see faaso deploy)")
    .option("--timeout <seconds>", "with --deploy: how long new instances get to become healthy", "120")
    .option("--json", "print the results as JSON")
    .option("-l, --local", "build on this machine even when a server is configured")
    .action(async (folders, options) => {
      if (options.name && folders.length > 1) {
        throw new FaasoError("Cannot use --name with several folders: each would get the same name");
      }
      if (options.deploy) deployTimeout(options.timeout);
      // Only what was given: the machine that builds fills in its own settings (see Backend.build).
      const settings = checkBuildSettings(
        { githubMirror: options.githubMirror, network: options.buildNetwork },
        BUILD_SETTING_FLAGS,
      );
      const backend = await ctx.backend(options);
      const results: BuildResult[] = [];
      for (const folder of folders) {
        const result = await ctx.output.task((progress) =>
          backend.build(folder, {
            noCache: !options.cache,
            buildArgs: options.buildArg,
            name: options.name,
            noRuntime: !options.runtime,
            pull: options.pull,
            ...settings,
          }, progress), options.quiet);
        results.push(result);
        if (!options.json) {
          const id = result.imageId.slice(7, 19);
          ctx.output.print(
            result.unchanged
              ? `Nothing changed: ${result.tags[0]} (${id}) is this build, and latest`
              : `Built ${result.tags.join(" and ")} (${id})`,
          );
          if (result.pushed) ctx.output.print(`Pushed ${result.pushed}`);
        }
        if (options.deploy) await runDeploy(ctx, backend, result.funko, { timeout: options.timeout });
      }
      if (options.json) ctx.output.json(results);
    });
}

/** Parses `KEY=VALUE`; the value may be empty and may contain `=`. */
export function parseBuildArg(text: string): Record<string, string> {
  const at = text.indexOf("=");
  if (at <= 0) throw new FaasoError(`--build-arg ${text}: use KEY=VALUE`);
  return { [text.slice(0, at)]: text.slice(at + 1) };
}
